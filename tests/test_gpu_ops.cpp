// Every operation of the backend seam on the CUDA backend against the CPU reference, with the
// same inputs: outputs, and gradients accumulated onto non-zero buffers (the contract is +=).
// Both backends compute in fp32; they differ in summation order only (cuBLAS blocking, block
// reductions), so the tolerance is a few units of fp32 rounding scaled by the reduction length:
// |gpu − cpu| ≤ 1e-5 + 2e-4·|cpu| for products and reductions over up to 1,000 terms, 1e-6
// relative for element-wise operations. Skipped where no GPU can be used.
#define BOOST_TEST_MODULE gpu_ops
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "backend/backend.hpp"
#include "cuda_backend.hpp"
#include "support/backend_pair.hpp"
#include "support/gpu.hpp"

using moelaw::backend::Backend;
using moelaw::backend::DeviceArray;

namespace {

constexpr int64_t B = 2, T = 64, H = 4, D = 32, C = H * D, F = 3 * C, V = 1000, N = B * T;



using Pair = moelaw::testing::BackendPair;
template <typename U>
using Both = moelaw::testing::Mirrored<U>;
using moelaw::testing::random;

void expect_close(const Both<float>& x, const char* what, double rtol, double atol = 1e-5) {
  std::vector<float> a(x.cpu.size()), b(x.gpu.size());
  x.cpu.download(a.data(), a.size());
  x.gpu.download(b.data(), b.size());
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double excess = std::abs(double(b[i]) - double(a[i])) - (atol + rtol * std::abs(double(a[i])));
    if (excess > worst) worst = excess, at = i;
  }
  BOOST_TEST(worst <= 0.0, what << ": element " << at << " gpu " << b[at] << " cpu " << a[at]);
}

constexpr double kProducts = 2e-4, kPointwise = 1e-6;

}  // namespace

BOOST_AUTO_TEST_SUITE(cuda_against_cpu, *boost::unit_test::precondition(moelaw::testing::GpuAvailable()))

BOOST_AUTO_TEST_CASE(matmul) {
  Pair p;
  Both<float> in(p, random(N * C, 1)), w(p, random(F * C, 2, 0.1f)), out(p, random(N * F, 3));
  p.cpu->matmul_forward(out.cpu.data(), in.cpu.data(), w.cpu.data(), N, C, F);
  p.gpu->matmul_forward(out.gpu.data(), in.gpu.data(), w.gpu.data(), N, C, F);
  expect_close(out, "matmul forward", kProducts);
  Both<float> dout(p, random(N * F, 4)), din(p, random(N * C, 5)), dw(p, random(F * C, 6));
  p.cpu->matmul_backward(din.cpu.data(), dw.cpu.data(), dout.cpu.data(), in.cpu.data(), w.cpu.data(), N, C, F);
  p.gpu->matmul_backward(din.gpu.data(), dw.gpu.data(), dout.gpu.data(), in.gpu.data(), w.gpu.data(), N, C, F);
  expect_close(din, "matmul d input", kProducts);
  expect_close(dw, "matmul d weight", kProducts);
}

BOOST_AUTO_TEST_CASE(embedding) {
  Pair p;
  std::vector<int32_t> ids(N);
  for (int64_t i = 0; i < N; ++i) ids[i] = int32_t((i * 7919) % 50);  // repeated ids: the scatter-add's hard case
  Both<int32_t> tokens(p, ids);
  Both<float> table(p, random(V * C, 7)), out(p, random(N * C, 8));
  p.cpu->embedding_forward(out.cpu.data(), tokens.cpu.data(), table.cpu.data(), N, C);
  p.gpu->embedding_forward(out.gpu.data(), tokens.gpu.data(), table.gpu.data(), N, C);
  expect_close(out, "embedding forward", 0, 0);
  Both<float> dout(p, random(N * C, 9)), dtable(p, random(V * C, 10));
  p.cpu->embedding_backward(dtable.cpu.data(), dout.cpu.data(), tokens.cpu.data(), N, C);
  p.gpu->embedding_backward(dtable.gpu.data(), dout.gpu.data(), tokens.gpu.data(), N, C);
  expect_close(dtable, "embedding backward (same order: exact)", 0, 0);
}

BOOST_AUTO_TEST_CASE(rmsnorm) {
  Pair p;
  Both<float> in(p, random(N * C, 11)), gain(p, random(C, 12)), out(p, random(N * C, 13)), rstd(p, random(N, 14));
  p.cpu->rmsnorm_forward(out.cpu.data(), rstd.cpu.data(), in.cpu.data(), gain.cpu.data(), N, C, 1e-5);
  p.gpu->rmsnorm_forward(out.gpu.data(), rstd.gpu.data(), in.gpu.data(), gain.gpu.data(), N, C, 1e-5);
  expect_close(out, "rmsnorm forward", kProducts);
  expect_close(rstd, "rmsnorm rstd", kProducts);
  Both<float> dout(p, random(N * C, 15)), din(p, random(N * C, 16)), dgain(p, random(C, 17));
  p.cpu->rmsnorm_backward(din.cpu.data(), dgain.cpu.data(), dout.cpu.data(), in.cpu.data(), gain.cpu.data(),
                          rstd.cpu.data(), N, C);
  p.gpu->rmsnorm_backward(din.gpu.data(), dgain.gpu.data(), dout.gpu.data(), in.gpu.data(), gain.gpu.data(),
                          rstd.gpu.data(), N, C);
  expect_close(din, "rmsnorm d input", kProducts);
  // The gain gradient sums N = 128 positions in another order (row ranges, then ranges in order):
  // worst case 128·2^-24·Σ|terms| ≈ 1e-3 absolute for terms of order 1; typical far less.
  expect_close(dgain, "rmsnorm d gain", kProducts, 1e-3);
}

BOOST_AUTO_TEST_CASE(rope) {
  Pair p;
  Both<float> in(p, random(N * C, 18)), out(p, random(N * C, 19)), din(p, random(N * C, 20));
  p.cpu->rope_forward(out.cpu.data(), in.cpu.data(), B, T, H, D, 10000.0);
  p.gpu->rope_forward(out.gpu.data(), in.gpu.data(), B, T, H, D, 10000.0);
  expect_close(out, "rope forward", 1e-5, 1e-6);
  p.cpu->rope_backward(din.cpu.data(), in.cpu.data(), B, T, H, D, 10000.0);
  p.gpu->rope_backward(din.gpu.data(), in.gpu.data(), B, T, H, D, 10000.0);
  expect_close(din, "rope backward", 1e-5, 1e-6);
}

BOOST_AUTO_TEST_CASE(attention) {
  Pair p;
  Both<float> q(p, random(N * C, 21)), k(p, random(N * C, 22)), v(p, random(N * C, 23));
  Both<float> out(p, random(N * C, 24)), probs(p, random(B * H * T * T, 25));
  p.cpu->attention_forward(out.cpu.data(), probs.cpu.data(), q.cpu.data(), k.cpu.data(), v.cpu.data(), B, T, H, D);
  p.gpu->attention_forward(out.gpu.data(), probs.gpu.data(), q.gpu.data(), k.gpu.data(), v.gpu.data(), B, T, H, D);
  expect_close(probs, "attention probabilities (zero above the diagonal)", kProducts);
  expect_close(out, "attention forward", kProducts);
  Both<float> dout(p, random(N * C, 26)), dq(p, random(N * C, 27)), dk(p, random(N * C, 28)), dv(p, random(N * C, 29));
  p.cpu->attention_backward(dq.cpu.data(), dk.cpu.data(), dv.cpu.data(), dout.cpu.data(), out.cpu.data(), probs.cpu.data(),
                            q.cpu.data(), k.cpu.data(), v.cpu.data(), B, T, H, D);
  p.gpu->attention_backward(dq.gpu.data(), dk.gpu.data(), dv.gpu.data(), dout.gpu.data(), out.gpu.data(), probs.gpu.data(),
                            q.gpu.data(), k.gpu.data(), v.gpu.data(), B, T, H, D);
  expect_close(dq, "attention dq", kProducts);
  expect_close(dk, "attention dk", kProducts);
  expect_close(dv, "attention dv", kProducts);
}

BOOST_AUTO_TEST_CASE(swiglu_and_add) {
  Pair p;
  Both<float> gate(p, random(N * F, 30, 3.0f)), up(p, random(N * F, 31)), out(p, random(N * F, 32));
  p.cpu->swiglu_forward(out.cpu.data(), gate.cpu.data(), up.cpu.data(), N, F);
  p.gpu->swiglu_forward(out.gpu.data(), gate.gpu.data(), up.gpu.data(), N, F);
  expect_close(out, "swiglu forward", kPointwise, 1e-7);
  Both<float> dout(p, random(N * F, 33)), dgate(p, random(N * F, 34)), dup(p, random(N * F, 35));
  p.cpu->swiglu_backward(dgate.cpu.data(), dup.cpu.data(), dout.cpu.data(), gate.cpu.data(), up.cpu.data(), N, F);
  p.gpu->swiglu_backward(dgate.gpu.data(), dup.gpu.data(), dout.gpu.data(), gate.gpu.data(), up.gpu.data(), N, F);
  expect_close(dgate, "swiglu d gate", 1e-5, 1e-6);
  expect_close(dup, "swiglu d up", 1e-5, 1e-6);
  p.cpu->add_forward(out.cpu.data(), gate.cpu.data(), up.cpu.data(), N * F);
  p.gpu->add_forward(out.gpu.data(), gate.gpu.data(), up.gpu.data(), N * F);
  expect_close(out, "add (exact)", 0, 0);
}

BOOST_AUTO_TEST_CASE(cross_entropy) {
  Pair p;
  std::vector<int32_t> ids(N);
  for (int64_t i = 0; i < N; ++i) ids[i] = i % 9 == 0 ? -1 : int32_t((i * 104729) % V);  // some without a loss
  Both<int32_t> targets(p, ids);
  Both<float> logits(p, random(N * V, 36, 4.0f)), losses(p, random(N, 37));
  p.cpu->cross_entropy_forward(losses.cpu.data(), logits.cpu.data(), targets.cpu.data(), N, V);
  p.gpu->cross_entropy_forward(losses.gpu.data(), logits.gpu.data(), targets.gpu.data(), N, V);
  expect_close(losses, "cross-entropy losses", 1e-5, 1e-6);
  expect_close(logits, "softmax probabilities", 1e-5, 1e-9);
  p.cpu->cross_entropy_backward(logits.cpu.data(), targets.cpu.data(), 1.0 / N, N, V);
  p.gpu->cross_entropy_backward(logits.gpu.data(), targets.gpu.data(), 1.0 / N, N, V);
  expect_close(logits, "cross-entropy d logits", 1e-5, 1e-9);
}

BOOST_AUTO_TEST_CASE(adamw_and_reductions) {
  Pair p;
  const int64_t n = 100'003;  // not a multiple of any block or chunk size
  Both<float> params(p, random(n, 38)), grads(p, random(n, 39, 0.01f)), m(p, random(n, 40, 0.01f));
  auto v_host = random(n, 41, 0.001f);
  for (auto& x : v_host) x = x * x;
  Both<float> v(p, v_host);
  moelaw::backend::AdamWHyper h{3e-3, 0.9, 0.95, 1e-8, 0.1, 7};
  p.cpu->adamw_update(params.cpu.data(), grads.cpu.data(), m.cpu.data(), v.cpu.data(), n, h);
  p.gpu->adamw_update(params.gpu.data(), grads.gpu.data(), m.gpu.data(), v.gpu.data(), n, h);
  expect_close(params, "adamw parameters", kPointwise, 1e-7);
  expect_close(m, "adamw first moment", kPointwise, 1e-9);
  expect_close(v, "adamw second moment", kPointwise, 1e-12);
  BOOST_TEST(p.gpu->sum(grads.gpu.data(), n) == p.cpu->sum(grads.cpu.data(), n),
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(p.gpu->sum_squares(grads.gpu.data(), n) == p.cpu->sum_squares(grads.cpu.data(), n),
             boost::test_tools::tolerance(1e-12));
  p.cpu->scale(grads.cpu.data(), n, 0.37);
  p.gpu->scale(grads.gpu.data(), n, 0.37);
  expect_close(grads, "scale (exact)", 0, 0);
}

BOOST_AUTO_TEST_SUITE_END()
