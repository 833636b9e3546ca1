// When a group of ranks can use NCCL: the pure rule that parallel::make_device_exchange applies
// to what every rank reports (no GPU or MPI needed to check it).
#include <boost/test/unit_test.hpp>

#include "parallel/exchange_factory.hpp"

BOOST_AUTO_TEST_SUITE(test_transport_choice)

using moelaw::parallel::nccl_unavailable_reason;
using moelaw::parallel::RankTransportInfo;

namespace {

RankTransportInfo gpu_rank(const std::string& gpu) { return {true, true, gpu, ""}; }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(one_gpu_per_rank_can_use_nccl) {
  BOOST_TEST(nccl_unavailable_reason({gpu_rank("a/0000:18:00.0")}) == "");
  BOOST_TEST(nccl_unavailable_reason({gpu_rank("a/0000:18:00.0"), gpu_rank("a/0000:2a:00.0"),
                                      gpu_rank("b/0000:18:00.0"), gpu_rank("b/0000:2a:00.0")}) == "");
}

BOOST_AUTO_TEST_CASE(ranks_sharing_a_gpu_cannot) {
  auto why = nccl_unavailable_reason({gpu_rank("a/0000:18:00.0"), gpu_rank("b/0000:18:00.0"),
                                      gpu_rank("a/0000:18:00.0")});
  BOOST_TEST(contains(why, "ranks 0 and 2 share the GPU a/0000:18:00.0"), why);
  BOOST_TEST(contains(why, "one GPU per rank"), why);
}

BOOST_AUTO_TEST_CASE(cpu_ranks_builds_without_nccl_and_unknown_gpus_cannot) {
  RankTransportInfo cpu{false, true, "", ""};
  BOOST_TEST(contains(nccl_unavailable_reason({gpu_rank("a/1"), cpu}), "rank 1 trains on the CPU backend"));
  RankTransportInfo no_nccl{true, false, "", ""};
  BOOST_TEST(contains(nccl_unavailable_reason({no_nccl}), "this build has no NCCL"));
  RankTransportInfo unknown{true, true, "", "cudaGetDevice: no device"};
  BOOST_TEST(contains(nccl_unavailable_reason({gpu_rank("a/1"), unknown}), "rank 1 cannot identify its GPU: cudaGetDevice"));
}

BOOST_AUTO_TEST_SUITE_END()
