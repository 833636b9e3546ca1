// StagedExchange (MPI through host memory) on real ranks with the CPU backend, against values
// worked out by hand; and the transport factory's choices on those ranks. CTest starts this
// under mpiexec -n 2; also correct on 1 rank.
#include <boost/test/unit_test.hpp>

#include "backend/backend.hpp"
#include "common/errors.hpp"
#include "parallel/exchange_factory.hpp"
#include "parallel/mpi_communicator.hpp"
#include "parallel/staged_exchange.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_mpi_staged_exchange)

using moelaw::backend::DeviceArray;
using moelaw::parallel::StagedExchange;
using moelaw::testing::world;
using moelaw::testing::cpu_backend;

namespace {

// What rank `from` sends to rank `to` in the all-to-all: from + to + 1 values, each naming both.
int64_t count_between(int from, int to) { return from + to + 1; }
float value_between(int from, int to, int64_t i) { return 100.0f * from + 10.0f * to + 0.5f * i; }

}  // namespace

BOOST_AUTO_TEST_CASE(allreduce_sum_adds_every_rank) {
  auto& w = world();
  StagedExchange exchange(w, cpu_backend());
  BOOST_TEST((exchange.transport() == moelaw::parallel::Transport::mpi_staged));
  const int P = w.size(), r = w.rank();
  const size_t n = 1000;
  std::vector<float> host(n);
  for (size_t i = 0; i < n; ++i) host[i] = float((r + 1) * int(i % 7));
  DeviceArray<float> data(cpu_backend(), n);
  data.upload(host.data(), n);
  exchange.allreduce_sum(data.data(), n);
  data.download(host.data(), n);
  // Σ_r (r + 1) = P (P + 1) / 2; small integers, so the float sums are exact.
  for (size_t i = 0; i < n; ++i) BOOST_TEST(host[i] == float(P * (P + 1) / 2 * int(i % 7)));
  exchange.allreduce_sum(data.data(), 0);  // nothing to do, and no hang
}

BOOST_AUTO_TEST_CASE(alltoall_counts_transposes) {
  auto& w = world();
  StagedExchange exchange(w, cpu_backend());
  const int P = w.size(), r = w.rank();
  std::vector<int64_t> send;
  for (int to = 0; to < P; ++to)
    for (int k = 0; k < 2; ++k) send.push_back(1000 * r + 10 * to + k);
  auto got = exchange.alltoall_counts(send, 2);
  BOOST_TEST_REQUIRE(got.size() == size_t(2 * P));
  for (int from = 0; from < P; ++from)
    for (int k = 0; k < 2; ++k) BOOST_TEST(got[size_t(2 * from + k)] == 1000 * from + 10 * r + k);
}

BOOST_AUTO_TEST_CASE(alltoallv_delivers_in_rank_order) {
  auto& w = world();
  StagedExchange exchange(w, cpu_backend());
  const int P = w.size(), r = w.rank();
  std::vector<int64_t> send_counts, recv_counts;
  std::vector<float> outgoing, expected;
  for (int peer = 0; peer < P; ++peer) {
    send_counts.push_back(count_between(r, peer));
    recv_counts.push_back(count_between(peer, r));
    for (int64_t i = 0; i < count_between(r, peer); ++i) outgoing.push_back(value_between(r, peer, i));
    for (int64_t i = 0; i < count_between(peer, r); ++i) expected.push_back(value_between(peer, r, i));
  }
  DeviceArray<float> send(cpu_backend(), outgoing.size()), recv(cpu_backend(), expected.size());
  send.upload(outgoing.data(), outgoing.size());
  exchange.alltoallv(send.data(), send_counts, recv.data(), recv_counts);
  std::vector<float> got(expected.size());
  recv.download(got.data(), got.size());
  BOOST_TEST(got == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(alltoallv_refuses_counts_that_disagree) {
  auto& w = world();
  StagedExchange exchange(w, cpu_backend());
  const int P = w.size();
  // Every rank sends one float to each; each claims to expect two from each: caught, not
  // written past the receive buffer.
  std::vector<int64_t> ones(size_t(P), 1), twos(size_t(P), 2);
  DeviceArray<float> send(cpu_backend(), size_t(P)), recv(cpu_backend(), size_t(2 * P));
  send.zero();
  BOOST_CHECK_THROW(exchange.alltoallv(send.data(), ones, recv.data(), twos), std::logic_error);
}

BOOST_AUTO_TEST_CASE(factory_picks_mpi_staged_for_the_cpu_backend) {
  auto& w = world();
  std::string note;
  auto automatic = moelaw::parallel::make_device_exchange(w, cpu_backend(), "auto", &note);
  BOOST_TEST((automatic->transport() == moelaw::parallel::Transport::mpi_staged));
  BOOST_TEST(!note.empty());
  BOOST_TEST((moelaw::parallel::make_device_exchange(w, cpu_backend(), "mpi")->transport() ==
              moelaw::parallel::Transport::mpi_staged));
  try {
    moelaw::parallel::make_device_exchange(w, cpu_backend(), "nccl");
    BOOST_FAIL("parallel.transport = nccl on the CPU backend must be refused");
  } catch (const moelaw::UsageError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("parallel.transport = \"nccl\" is impossible here") != std::string::npos, what);
    BOOST_TEST(what.find("trains on the CPU backend") != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_SUITE_END()
