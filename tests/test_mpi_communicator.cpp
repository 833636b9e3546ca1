// Collectives on real MPI ranks (CTest starts this under mpiexec -n 2; also correct on 1 rank).
#include <boost/test/unit_test.hpp>

#include <numeric>

#include "parallel/mpi_communicator.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_mpi_communicator)

using moelaw::testing::world;

BOOST_AUTO_TEST_CASE(allreduce_sum_and_max) {
  auto& w = world();
  int p = w.size(), r = w.rank();
  std::vector<double> v(5);
  for (int i = 0; i < 5; ++i) v[i] = (r + 1) * (i + 1);
  w.allreduce_sum(v.data(), v.size());
  for (int i = 0; i < 5; ++i) BOOST_TEST(v[i] == (i + 1) * p * (p + 1) / 2.0);
  BOOST_TEST(w.allreduce_max(r == 0 ? 7 : 3) == 7);
  BOOST_TEST(w.allreduce_max(r) == p - 1);
}

BOOST_AUTO_TEST_CASE(broadcast_and_allgather) {
  auto& w = world();
  int64_t x = w.rank() == 0 ? 424242 : -1;
  w.broadcast(&x, sizeof x, 0);
  BOOST_TEST(x == 424242);
  int32_t mine = 100 + w.rank();
  auto all = w.allgather(&mine, sizeof mine);
  BOOST_REQUIRE(all.size() == sizeof(int32_t) * w.size());
  for (int r = 0; r < w.size(); ++r)
    BOOST_TEST(reinterpret_cast<const int32_t*>(all.data())[r] == 100 + r);
}

BOOST_AUTO_TEST_CASE(alltoallv_routes_each_value_to_its_rank) {
  auto& w = world();
  int p = w.size(), me = w.rank();
  // Rank me sends (dest + 1) values to each dest, each encoding (sender, dest, index).
  std::vector<float> send;
  std::vector<int64_t> counts(p);
  for (int d = 0; d < p; ++d) {
    counts[d] = d + 1;
    for (int i = 0; i <= d; ++i) send.push_back(static_cast<float>(me * 100 + d * 10 + i));
  }
  std::vector<int64_t> recv_counts;
  auto recv = w.alltoallv(send, counts, recv_counts);
  BOOST_REQUIRE(static_cast<int>(recv.size()) == p * (me + 1));
  size_t k = 0;
  for (int s = 0; s < p; ++s) {
    BOOST_TEST(recv_counts[s] == me + 1);
    for (int i = 0; i <= me; ++i) BOOST_TEST(recv[k++] == static_cast<float>(s * 100 + me * 10 + i));
  }
}

BOOST_AUTO_TEST_CASE(split_into_groups) {
  auto& w = world();
  auto sub = w.split(w.rank() % 2, w.rank());
  BOOST_TEST(sub->size() == (w.size() + 1 - w.rank() % 2) / 2);
  double one = 1;
  sub->allreduce_sum(&one, 1);
  BOOST_TEST(one == sub->size());
}

BOOST_AUTO_TEST_SUITE_END()
