// NcclExchange on a world of one rank and one GPU: NCCL needs a GPU per rank, and CTest runs
// GPU tests as a single process, so this checks the NCCL path end to end where it can run
// (communicator set-up over MPI, in-place all-reduce, grouped send/receive to itself) and the
// factory's choices. The multi-rank rule is checked without a GPU in test_transport_choice.
// Skipped, saying why, without a GPU or in a build without NCCL.
#include <boost/test/unit_test.hpp>

#include "backend/backend.hpp"
#include "common/errors.hpp"
#include "cuda_backend.hpp"
#include "parallel/exchange_factory.hpp"
#include "parallel/mpi_communicator.hpp"
#include "support/gpu.hpp"
#include "support/shared_instances.hpp"
#ifdef MOELAW_HAVE_NCCL
#include "nccl_exchange.hpp"
#endif

BOOST_AUTO_TEST_SUITE(test_gpu_nccl_exchange)

using moelaw::backend::DeviceArray;
using moelaw::testing::cpu_backend;
using moelaw::testing::world;

namespace {

struct NcclUsable {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id id) const {
    auto gpu = moelaw::testing::GpuAvailable()(id);
    if (!gpu) return gpu;
#ifndef MOELAW_HAVE_NCCL
    boost::test_tools::assertion_result r(false);
    r.message() << "this build has no NCCL (not found at configure time): NCCL test skipped";
    return r;
#else
    boost::test_tools::assertion_result r(world().size() == 1);
    if (world().size() != 1) r.message() << "started on " << world().size() << " ranks; this test wants one rank, one GPU";
    return r;
#endif
  }
};

}  // namespace

#ifdef MOELAW_HAVE_NCCL

BOOST_AUTO_TEST_SUITE(nccl_on_one_gpu, *boost::unit_test::precondition(NcclUsable()))

BOOST_AUTO_TEST_CASE(allreduce_of_one_rank_is_the_identity) {
  auto gpu = moelaw::cuda::make_cuda_backend(0);  // sets the device NCCL binds to
  moelaw::cuda::NcclExchange exchange(world());
  BOOST_TEST((exchange.transport() == moelaw::parallel::Transport::nccl));
  const size_t n = 4099;  // not a multiple of any chunk size
  std::vector<float> host(n);
  for (size_t i = 0; i < n; ++i) host[i] = 0.25f * float(i) - 17.0f;
  DeviceArray<float> data(*gpu, n);
  data.upload(host.data(), n);
  exchange.allreduce_sum(data.data(), n);
  std::vector<float> got(n);
  data.download(got.data(), n);  // a blocking copy on the stream NCCL ran on
  BOOST_TEST(got == host, boost::test_tools::per_element());
}

// The overlapped all-reduce on the exchange's own stream, between kernels of the compute stream
// that write the same buffer: each started sum must see the writes queued before it, and the
// work after finish_allreduces() must see the sums. One rank's sum is the identity, so a
// misordering shows only as a race; this checks the calls run, complete, and keep the values.
BOOST_AUTO_TEST_CASE(started_allreduces_keep_their_order_with_the_compute_stream) {
  auto gpu = moelaw::cuda::make_cuda_backend(0);
  moelaw::cuda::NcclExchange exchange(world());
  const size_t n = size_t(1) << 22, half = n / 2;
  std::vector<float> host(n);
  for (size_t i = 0; i < n; ++i) host[i] = float(i % 1000) - 500.0f;
  DeviceArray<float> data(*gpu, n);
  data.upload(host.data(), n);
  gpu->scale(data.data() + half, int64_t(n - half), 2.0);  // before its sum: the sum must see it
  exchange.start_allreduce_sum(data.data() + half, n - half);
  gpu->scale(data.data(), int64_t(half), 4.0);  // runs while the first sum may still be running
  exchange.start_allreduce_sum(data.data(), half);
  exchange.finish_allreduces();
  gpu->scale(data.data(), int64_t(n), 0.5);  // after finish: sees both sums
  exchange.allreduce_sum(data.data(), n);    // a blocking collective after started ones
  exchange.finish_allreduces();              // nothing pending: a no-op
  std::vector<float> got(n);
  data.download(got.data(), n);
  for (size_t i = 0; i < n; ++i) host[i] *= i < half ? 2.0f : 1.0f;
  BOOST_TEST(got == host, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(alltoallv_to_itself_copies) {
  auto gpu = moelaw::cuda::make_cuda_backend(0);
  moelaw::cuda::NcclExchange exchange(world());
  std::vector<float> host{1.5f, -2.0f, 3.25f, 4.0f, 1e-3f};
  DeviceArray<float> send(*gpu, host.size()), recv(*gpu, host.size());
  send.upload(host.data(), host.size());
  recv.zero();
  const std::vector<int64_t> counts{int64_t(host.size())};
  BOOST_TEST(exchange.alltoall_counts(counts, 1) == counts);
  exchange.alltoallv(send.data(), counts, recv.data(), counts);
  std::vector<float> got(host.size());
  recv.download(got.data(), got.size());
  BOOST_TEST(got == host, boost::test_tools::per_element());
  // Nothing to move: the empty group must not fail or hang.
  exchange.alltoallv(send.data(), {0}, recv.data(), {0});
  BOOST_CHECK_THROW(exchange.alltoallv(send.data(), {1, 1}, recv.data(), {1, 1}), std::logic_error);
}

BOOST_AUTO_TEST_CASE(factory_choices_on_a_gpu) {
  moelaw::parallel::register_nccl_exchange({moelaw::cuda::current_gpu_bus_id, moelaw::cuda::make_nccl_exchange});
  auto gpu = moelaw::cuda::make_cuda_backend(0);
  std::string note;
  // A single rank has nothing to exchange: auto stays with the free staged path...
  BOOST_TEST((moelaw::parallel::make_device_exchange(world(), *gpu, "auto", &note)->transport() ==
              moelaw::parallel::Transport::mpi_staged));
  // ... but asked for, NCCL is possible with one GPU per rank.
  BOOST_TEST((moelaw::parallel::make_device_exchange(world(), *gpu, "nccl")->transport() == moelaw::parallel::Transport::nccl));
  BOOST_CHECK_THROW(moelaw::parallel::make_device_exchange(world(), cpu_backend(), "nccl"), moelaw::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

#else

BOOST_AUTO_TEST_CASE(nccl_exchange, *boost::unit_test::precondition(NcclUsable())) {}

#endif

BOOST_AUTO_TEST_SUITE_END()
