// The MoE operations of the backend seam on the CUDA backend against the CPU reference, the MoE
// layer forward and backward on both, and MoE training on the GPU with expert parallelism 2
// (two ranks sharing one GPU through the MPI-staged exchange) against one rank.
// Integers (chosen experts, slots, send positions, counts) must be identical: they decide where
// rows go. Floats: the router's softmax and the combine repeat the reference's arithmetic
// (1e-6 relative); sums over tokens or rows differ in summation order only, and products go
// through cuBLAS: 1e-5 + 2e-4·|cpu|, as in test_gpu_ops. Skipped where no GPU can be used.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "backend/backend.hpp"
#include "cuda_backend.hpp"
#include "moe/moe_layer.hpp"
#include "support/backend_pair.hpp"
#include "support/gpu.hpp"
#include "support/tiny_run.hpp"

BOOST_AUTO_TEST_SUITE(test_gpu_moe)

using moelaw::backend::Backend;
using moelaw::backend::DeviceArray;

namespace {



using Pair = moelaw::testing::BackendPair;
template <typename U>
using Both = moelaw::testing::Mirrored<U>;
using moelaw::testing::random;

template <typename U>
void expect_close(const std::vector<U>& cpu, const std::vector<U>& gpu, const char* what, double rtol,
                  double atol = 1e-5) {
  BOOST_TEST_REQUIRE(cpu.size() == gpu.size());
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double excess = std::abs(double(gpu[i]) - double(cpu[i])) - (atol + rtol * std::abs(double(cpu[i])));
    if (excess > worst) worst = excess, at = i;
  }
  BOOST_TEST(worst <= 0.0, what << ": element " << at << " gpu " << gpu[at] << " cpu " << cpu[at]);
}

template <typename U>
void expect_close(const Both<U>& x, const char* what, double rtol, double atol = 1e-5) {
  expect_close(x.from_cpu(), x.from_gpu(), what, rtol, atol);
}

template <typename U>
void expect_equal(const Both<U>& x, const char* what) {
  const auto a = x.from_cpu(), b = x.from_gpu();
  size_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
  BOOST_TEST(differ == 0u, what << ": " << differ << " of " << a.size() << " differ");
}

constexpr double kProducts = 2e-4, kPointwise = 1e-6;

// The router's outputs for one set of logits, on both backends.
struct Routed {
  int64_t N, E, k;
  Both<float> probs, lse;
  Both<int32_t> expert, slot;
  Both<int64_t> counts;
  Both<double> sums;
  Routed(Pair& p, const std::vector<float>& logits, int64_t N_, int64_t E_, int64_t k_, int64_t capacity)
      : N(N_), E(E_), k(k_), probs(p, logits), lse(p, size_t(N)), expert(p, size_t(N * k)), slot(p, size_t(N * k)),
        counts(p, size_t(2 * E)), sums(p, size_t(E + 1)) {
    p.cpu->moe_route(probs.cpu.data(), lse.cpu.data(), expert.cpu.data(), slot.cpu.data(), counts.cpu.data(),
                     sums.cpu.data(), N, E, k, capacity);
    p.gpu->moe_route(probs.gpu.data(), lse.gpu.data(), expert.gpu.data(), slot.gpu.data(), counts.gpu.data(),
                     sums.gpu.data(), N, E, k, capacity);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(moe_ops_cuda_against_cpu, *boost::unit_test::precondition(moelaw::testing::GpuAvailable()))

// Several chunks of the GPU's slot count (256 choices each), with and without capacity, top-1
// and top-2, and logits with many exact ties (small integers) for the tie-breaking rule.
BOOST_AUTO_TEST_CASE(route) {
  Pair p;
  for (int64_t E : {8, 32})
    for (int64_t k : {1, 2})
      for (bool ties : {false, true})
        for (int64_t capacity : {int64_t(-1), moelaw::moe::expert_capacity(1.0, 1000, k, E),
                                 moelaw::moe::expert_capacity(0.5, 1000, k, E)}) {
          const int64_t N = 1000;
          auto logits = random(size_t(N * E), uint64_t(E * 10 + k), 2.0f);
          if (ties)
            for (auto& l : logits) l = std::round(l);
          BOOST_TEST_CONTEXT("E " << E << " k " << k << " ties " << ties << " capacity " << capacity) {
            Routed r(p, logits, N, E, k, capacity);
            expect_close(r.probs, "probabilities", kPointwise, 0);
            expect_close(r.lse, "logsumexp", kPointwise, 0);
            expect_equal(r.expert, "chosen experts");
            expect_equal(r.slot, "slots");
            expect_equal(r.counts, "load and kept counts");
            expect_close(r.sums, "probability and lse² sums", 1e-6, 0);
          }
        }
}

BOOST_AUTO_TEST_CASE(route_backward) {
  Pair p;
  const int64_t N = 500, E = 16, k = 2;
  Routed r(p, random(size_t(N * E), 7, 2.0f), N, E, k, moelaw::moe::expert_capacity(1.0, N, k, E));
  Both<float> dprobs(p, random(size_t(N * E), 8)), dlogits(p, size_t(N * E));
  p.cpu->moe_route_backward(dlogits.cpu.data(), dprobs.cpu.data(), r.probs.cpu.data(), r.lse.cpu.data(),
                            r.counts.cpu.data(), N, E, k, 0.3, 0.2);
  p.gpu->moe_route_backward(dlogits.gpu.data(), dprobs.gpu.data(), r.probs.gpu.data(), r.lse.gpu.data(),
                            r.counts.gpu.data(), N, E, k, 0.3, 0.2);
  expect_close(dlogits, "router d logits", 1e-5, 1e-7);
}

BOOST_AUTO_TEST_CASE(permute_regroup_and_combine) {
  Pair p;
  const int64_t N = 300, E = 8, k = 2, d = 96;
  Routed r(p, random(size_t(N * E), 9, 2.0f), N, E, k, moelaw::moe::expert_capacity(1.0, N, k, E));
  int64_t S = 0;
  const auto counts = r.counts.from_cpu();
  for (int64_t e = 0; e < E; ++e) S += counts[size_t(E + e)];
  Both<float> x(p, random(size_t(N * d), 10)), send(p, size_t(S * d));
  Both<int32_t> position(p, size_t(N * k));
  p.cpu->moe_permute(send.cpu.data(), position.cpu.data(), x.cpu.data(), r.expert.cpu.data(), r.slot.cpu.data(),
                     r.counts.cpu.data() + E, N, E, k, d);
  p.gpu->moe_permute(send.gpu.data(), position.gpu.data(), x.gpu.data(), r.expert.gpu.data(), r.slot.gpu.data(),
                     r.counts.gpu.data() + E, N, E, k, d);
  expect_equal(position, "send positions");
  expect_equal(send, "send buffer");

  // A fixed permutation of the rows: gather, then scatter back.
  std::vector<int32_t> order(static_cast<size_t>(S));
  for (int64_t i = 0; i < S; ++i) order[size_t(i)] = int32_t((i * 37 + 11) % S);
  BOOST_TEST_REQUIRE(std::gcd(int64_t(37), S) == 1);
  Both<int32_t> index(p, order);
  Both<float> gathered(p, size_t(S * d)), scattered(p, size_t(S * d));
  p.cpu->gather_rows(gathered.cpu.data(), send.cpu.data(), index.cpu.data(), S, d);
  p.gpu->gather_rows(gathered.gpu.data(), send.gpu.data(), index.gpu.data(), S, d);
  expect_equal(gathered, "gathered rows");
  p.cpu->scatter_rows(scattered.cpu.data(), gathered.cpu.data(), index.cpu.data(), S, d);
  p.gpu->scatter_rows(scattered.gpu.data(), gathered.gpu.data(), index.gpu.data(), S, d);
  expect_equal(scattered, "scattered rows");
  BOOST_TEST((scattered.from_gpu() == send.from_gpu()));  // scatter undoes gather

  Both<float> y(p, random(size_t(S * d), 11)), out(p, size_t(N * d)), acc(p, random(size_t(N * d), 12));
  p.cpu->moe_combine(out.cpu.data(), y.cpu.data(), r.probs.cpu.data(), r.expert.cpu.data(), position.cpu.data(), N,
                     E, k, d, false);
  p.gpu->moe_combine(out.gpu.data(), y.gpu.data(), r.probs.gpu.data(), r.expert.gpu.data(), position.gpu.data(), N,
                     E, k, d, false);
  expect_close(out, "weighted combine", kPointwise, 0);
  p.cpu->moe_combine(acc.cpu.data(), y.cpu.data(), nullptr, r.expert.cpu.data(), position.cpu.data(), N, E, k, d,
                     true);
  p.gpu->moe_combine(acc.gpu.data(), y.gpu.data(), nullptr, r.expert.gpu.data(), position.gpu.data(), N, E, k, d,
                     true);
  expect_close(acc, "unweighted accumulating combine", kPointwise, 0);

  Both<float> dout(p, random(size_t(N * d), 13)), drows(p, size_t(S * d)), dprobs(p, random(size_t(N * E), 14));
  p.cpu->moe_combine_backward(drows.cpu.data(), dprobs.cpu.data(), dout.cpu.data(), y.cpu.data(), r.probs.cpu.data(),
                              r.expert.cpu.data(), position.cpu.data(), N, E, k, d);
  p.gpu->moe_combine_backward(drows.gpu.data(), dprobs.gpu.data(), dout.gpu.data(), y.gpu.data(), r.probs.gpu.data(),
                              r.expert.gpu.data(), position.gpu.data(), N, E, k, d);
  expect_close(drows, "combine d rows", kPointwise, 0);
  expect_close(dprobs, "combine d probabilities", 1e-6, 1e-6);
}

// The whole layer (router matmul, routing, permutation, experts through cuBLAS, combine) and its
// backward into non-zero gradients.
BOOST_AUTO_TEST_CASE(layer_forward_backward) {
  Pair p;
  const int64_t N = 256, d = 64, H = 96, E = 8, k = 2;
  const moelaw::moe::MoeSettings s{d, H, E, k, 0.75, 0.3, 0.2};  // below 1: some choices must drop
  Both<float> router(p, random(size_t(E * d), 21, 0.3f)), gate(p, random(size_t(E * H * d), 22, 0.1f)),
      up(p, random(size_t(E * H * d), 23, 0.1f)), down(p, random(size_t(E * d * H), 24, 0.1f));
  Both<float> drouter(p, random(size_t(E * d), 25)), dgate(p, random(size_t(E * H * d), 26)),
      dup(p, random(size_t(E * H * d), 27)), ddown(p, random(size_t(E * d * H), 28));
  Both<float> x(p, random(size_t(N * d), 29)), out(p, size_t(N * d)), dout(p, random(size_t(N * d), 30)),
      dx(p, random(size_t(N * d), 31));
  moelaw::moe::MoeLayer<float> on_cpu(*p.cpu, s, nullptr), on_gpu(*p.gpu, s, nullptr);
  for (bool training : {false, true}) {
    on_cpu.forward(x.cpu.data(), out.cpu.data(), {router.cpu.data(), gate.cpu.data(), up.cpu.data(), down.cpu.data()},
                   N, training);
    on_gpu.forward(x.gpu.data(), out.gpu.data(), {router.gpu.data(), gate.gpu.data(), up.gpu.data(), down.gpu.data()},
                   N, training);
    BOOST_TEST((on_gpu.chosen_experts() == on_cpu.chosen_experts()));
    BOOST_TEST((on_gpu.routing().kept == on_cpu.routing().kept));
    BOOST_TEST(on_gpu.routing().dropped == on_cpu.routing().dropped);
    BOOST_TEST(on_gpu.routing().aux_loss == on_cpu.routing().aux_loss, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(on_gpu.routing().z_loss == on_cpu.routing().z_loss, boost::test_tools::tolerance(1e-6));
    expect_close(out, training ? "layer output (capacity)" : "layer output (dropless)", kProducts);
  }
  BOOST_TEST(on_cpu.routing().dropped > 0);  // the backward covers dropped choices
  on_cpu.backward(dout.cpu.data(), dx.cpu.data(), {router.cpu.data(), gate.cpu.data(), up.cpu.data(), down.cpu.data()},
                  {drouter.cpu.data(), dgate.cpu.data(), dup.cpu.data(), ddown.cpu.data()}, 0.01);
  on_gpu.backward(dout.gpu.data(), dx.gpu.data(), {router.gpu.data(), gate.gpu.data(), up.gpu.data(), down.gpu.data()},
                  {drouter.gpu.data(), dgate.gpu.data(), dup.gpu.data(), ddown.gpu.data()}, 0.01);
  expect_close(dx, "layer d x", kProducts);
  expect_close(drouter, "layer d router", kProducts);
  expect_close(dgate, "layer d w_gate", kProducts);
  expect_close(dup, "layer d w_up", kProducts);
  expect_close(ddown, "layer d w_down", kProducts);
}

BOOST_AUTO_TEST_SUITE_END()

// Training end to end: an MoE model on the GPU follows the CPU curve, and two ranks with expert
// parallelism 2 sharing the GPU (rows staged through host memory over MPI) follow one rank.
BOOST_AUTO_TEST_CASE(moe_training_on_one_and_two_gpu_ranks,
                     *boost::unit_test::precondition(moelaw::testing::GpuAvailable())) {
  using namespace moelaw::testing;
  TempDir dir;
  const std::string config = tiny_config(dir.path.string()) +
                             " --set model.experts=4 --set model.capacity_factor=1.0 --set train.micro_batch=2"
                             " --set train.precision=fp32";
  auto cpu = train(config + " --set train.backend=cpu --out " + (dir / "cpu"), 1);
  BOOST_REQUIRE_MESSAGE(cpu.status == 0, cpu.err);
  auto one = train(config + " --set train.backend=cuda --out " + (dir / "gpu1"), 1);
  BOOST_REQUIRE_MESSAGE(one.status == 0, one.err);
  auto two = train(config + " --set train.backend=cuda --set parallel.expert=2 --out " + (dir / "gpu2"), 2);
  BOOST_REQUIRE_MESSAGE(two.status == 0, two.err);
  BOOST_TEST(runinfo(dir / "gpu1")["summary"]["backend"] == "cuda");
  auto a = train_losses(dir / "cpu"), b = train_losses(dir / "gpu1"), c = train_losses(dir / "gpu2");
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  BOOST_REQUIRE_EQUAL(b.size(), c.size());
  // fp32 on both, summation order only (as test_gpu_train); EP 2 against EP 1 as test_moe_train.
  for (size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(std::abs(b[i] - a[i]) <= 1e-3 * std::abs(a[i]), "step " << i + 1 << ": gpu " << b[i] << " cpu " << a[i]);
    BOOST_TEST(c[i] == b[i], boost::test_tools::tolerance(1e-5));
  }
}

BOOST_AUTO_TEST_SUITE_END()
