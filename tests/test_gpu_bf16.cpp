// The CUDA backend's bf16 matrix products (cuBLASLt, bf16 operands, fp32 accumulation and
// results) against the CPU reference in fp32, and its bf16 copy of the registered weights kept
// current across uploads, memsets and AdamW steps. Skipped where no GPU can be used.
//
// Bound, per element of a product Σ_k a_k·b_k (gradients accumulated onto non-zero buffers):
//   |gpu − cpu| ≤ 2^-7 · Σ_k |a_k|·|b_k| + 1e-6
// Each operand rounded to bf16 (8 significant bits) carries a relative error ≤ 2^-9, so each
// product one ≤ 2^-8 + 2^-18. Summing k ≤ 1,000 terms in fp32 adds at most about k·2^-24 ≈ 6e-5
// of Σ|a_k·b_k| on either side (GPU and CPU), far below the remaining 2^-8; the final addition to
// an accumulator of order 1 rounds by ≤ 2^-24·|acc|, inside the 1e-6.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "backend/precision.hpp"
#include "cuda_backend.hpp"
#include "cuda_memory.hpp"
#include "lt_matmul.hpp"
#include "support/backend_pair.hpp"
#include "support/gpu.hpp"

BOOST_AUTO_TEST_SUITE(test_gpu_bf16)

using moelaw::backend::Backend;
using moelaw::backend::DeviceArray;

namespace {



// Both backends, the GPU's in bf16.
struct Pair : moelaw::testing::BackendPair {
  Pair() : BackendPair(moelaw::backend::Precision::bf16) {}
};
using Both = moelaw::testing::Mirrored<float>;
using moelaw::testing::random;

// Σ_k |a|·|b| for each element of the three products of matmul (row-major, as in backend/ops.hpp).
std::vector<double> forward_magnitude(const float* in, const float* w, int64_t N, int64_t C, int64_t OC) {
  std::vector<double> m(size_t(N * OC), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < OC; ++o)
      for (int64_t c = 0; c < C; ++c) m[size_t(n * OC + o)] += std::abs(double(in[n * C + c]) * w[o * C + c]);
  return m;
}
std::vector<double> din_magnitude(const float* dout, const float* w, int64_t N, int64_t C, int64_t OC) {
  std::vector<double> m(size_t(N * C), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < OC; ++o)
      for (int64_t c = 0; c < C; ++c) m[size_t(n * C + c)] += std::abs(double(dout[n * OC + o]) * w[o * C + c]);
  return m;
}
std::vector<double> dw_magnitude(const float* dout, const float* in, int64_t N, int64_t C, int64_t OC) {
  std::vector<double> m(size_t(OC * C), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < OC; ++o)
      for (int64_t c = 0; c < C; ++c) m[size_t(o * C + c)] += std::abs(double(dout[n * OC + o]) * in[n * C + c]);
  return m;
}

constexpr double kBf16Relative = 1.0 / 128, kAbsolute = 1e-6;  // 2^-7, see the header

void expect_within(const std::vector<float>& gpu, const std::vector<float>& cpu, const std::vector<double>& magnitude,
                   const std::string& what, double relative = kBf16Relative) {
  BOOST_REQUIRE_EQUAL(gpu.size(), magnitude.size());
  double worst = -1e300;
  size_t at = 0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    const double excess = std::abs(double(gpu[i]) - cpu[i]) - (relative * magnitude[i] + kAbsolute);
    if (excess > worst) worst = excess, at = i;
  }
  BOOST_TEST(worst <= 0.0, what << ": element " << at << " gpu " << gpu[at] << " cpu " << cpu[at] << " bound "
                                << relative * magnitude[at] + kAbsolute);
}

struct Shape {
  int64_t N, C, OC;
};
std::string describe(const Shape& s) {
  return "N=" + std::to_string(s.N) + " C=" + std::to_string(s.C) + " OC=" + std::to_string(s.OC);
}

// Forward and both gradients (onto non-zero buffers) of w = weights[offset, offset + OC·C), against
// the CPU on the same values.
void check_matmul(Pair& p, const Shape& s, Both& weights, int64_t offset, uint64_t seed, const std::string& what) {
  const auto [N, C, OC] = s;
  const float* w_host = weights.host.data() + offset;
  Both in(p, random(size_t(N * C), seed)), out(p, random(size_t(N * OC), seed + 1));
  p.cpu->matmul_forward(out.cpu.data(), in.cpu.data(), weights.cpu.data() + offset, N, C, OC);
  p.gpu->matmul_forward(out.gpu.data(), in.gpu.data(), weights.gpu.data() + offset, N, C, OC);
  expect_within(out.from_gpu(), out.from_cpu(), forward_magnitude(in.host.data(), w_host, N, C, OC),
                what + " forward " + describe(s));

  Both dout(p, random(size_t(N * OC), seed + 2)), din(p, random(size_t(N * C), seed + 3));
  Both dw(p, random(size_t(OC * C), seed + 4));
  p.cpu->matmul_backward(din.cpu.data(), dw.cpu.data(), dout.cpu.data(), in.cpu.data(), weights.cpu.data() + offset, N,
                         C, OC);
  p.gpu->matmul_backward(din.gpu.data(), dw.gpu.data(), dout.gpu.data(), in.gpu.data(), weights.gpu.data() + offset, N,
                         C, OC);
  expect_within(din.from_gpu(), din.from_cpu(), din_magnitude(dout.host.data(), w_host, N, C, OC),
                what + " d input " + describe(s));
  expect_within(dw.from_gpu(), dw.from_cpu(), dw_magnitude(dout.host.data(), in.host.data(), N, C, OC),
                what + " d weight " + describe(s));
}

// Model-like shapes, and shapes whose leading dimensions (C, OC in bf16) or sizes are not
// multiples of 8/16: cuBLASLt must be asked for algorithms that accept 2-byte alignment.
const std::vector<Shape> kShapes = {{128, 128, 384}, {37, 40, 1000}, {5, 33, 7}, {64, 1000, 37}, {1, 3, 1}};

}  // namespace

BOOST_AUTO_TEST_SUITE(cuda_bf16, *boost::unit_test::precondition(moelaw::testing::GpuAvailable()))

BOOST_AUTO_TEST_CASE(matmul_against_fp32_reference) {
  Pair p;
  uint64_t seed = 100;
  for (const auto& s : kShapes) {
    Both w(p, random(size_t(s.OC * s.C), seed++, 0.1f));  // not registered: converted per call
    check_matmul(p, s, w, 0, seed += 10, "unregistered weights");
    // At an odd offset (the conversion's unaligned path).
    Both shifted(p, random(size_t(s.OC * s.C + 3), seed++, 0.1f));
    check_matmul(p, s, shifted, 3, seed += 10, "unregistered weights at offset 3");
  }
}

BOOST_AUTO_TEST_CASE(registered_weights_at_odd_offsets) {
  Pair p;
  // Tensors one after the other as in the model's parameter buffer; the second starts at an odd
  // offset, so its bf16 copy is only 2-byte aligned.
  const Shape a{37, 40, 1000}, b{5, 33, 7};
  const int64_t offset_b = a.OC * a.C + 1;
  Both params(p, random(size_t(offset_b + b.OC * b.C + 5), 200, 0.1f));
  p.gpu->register_weights(params.gpu.data(), params.host.size());
  check_matmul(p, a, params, 0, 210, "registered weights");
  check_matmul(p, b, params, offset_b, 220, "registered weights at offset " + std::to_string(offset_b));
}

// With operands rounded to bf16 on the host too, only the fp32 summation differs: a far tighter
// bound (k·2^-20 leaves room for tensor-core accumulation that truncates), which fails if the
// operands were not rounded to nearest bf16 as the host does it.
BOOST_AUTO_TEST_CASE(operands_are_rounded_to_nearest_bf16) {
  auto round_bf16 = [](float x) {  // round to nearest even on the top 16 bits (finite inputs)
    uint32_t u;
    std::memcpy(&u, &x, 4);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    std::memcpy(&x, &u, 4);
    return x;
  };
  Pair p;
  for (const auto& s : kShapes) {
    const auto [N, C, OC] = s;
    Both in(p, random(size_t(N * C), 300)), w(p, random(size_t(OC * C), 301, 0.1f));
    Both out(p, std::vector<float>(size_t(N * OC), 0.0f));
    p.gpu->matmul_forward(out.gpu.data(), in.gpu.data(), w.gpu.data(), N, C, OC);
    std::vector<float> expected(size_t(N * OC));
    for (int64_t n = 0; n < N; ++n)
      for (int64_t o = 0; o < OC; ++o) {
        double sum = 0;
        for (int64_t c = 0; c < C; ++c) sum += double(round_bf16(in.host[n * C + c])) * round_bf16(w.host[o * C + c]);
        expected[size_t(n * OC + o)] = float(sum);
      }
    expect_within(out.from_gpu(), expected, forward_magnitude(in.host.data(), w.host.data(), N, C, OC),
                  "bf16-rounded operands " + describe(s), double(C) * std::ldexp(1.0, -20));
  }
}

BOOST_AUTO_TEST_CASE(adamw_updates_the_registered_copy) {
  Pair p;
  const Shape s{37, 40, 1000};
  const int64_t offset = 11, n = s.OC * s.C;  // the tensor AdamW updates, inside a larger buffer
  Both params(p, random(size_t(offset + n + 13), 400, 0.1f));
  p.gpu->register_weights(params.gpu.data(), params.host.size());
  check_matmul(p, s, params, offset, 410, "before the update");  // the copy is now current

  // A large step, so that products with the old weights would miss the bound by far.
  Both grads(p, random(size_t(n), 420)), m(p, std::vector<float>(size_t(n), 0.0f));
  Both v(p, std::vector<float>(size_t(n), 0.0f));
  const moelaw::backend::AdamWHyper h{0.1, 0.9, 0.95, 1e-8, 0.1, 1};
  p.cpu->adamw_update(params.cpu.data() + offset, grads.cpu.data(), m.cpu.data(), v.cpu.data(), n, h);
  p.gpu->adamw_update(params.gpu.data() + offset, grads.gpu.data(), m.gpu.data(), v.gpu.data(), n, h);
  params.host = params.from_cpu();  // the bounds use the updated weights
  check_matmul(p, s, params, offset, 430, "after adamw (fused bf16 write)");

  // The fused write rounds the stored fp32 value as the full refresh does: identical products.
  Both in(p, random(size_t(s.N * s.C), 440)), out(p, std::vector<float>(size_t(s.N * s.OC), 0.0f));
  p.gpu->matmul_forward(out.gpu.data(), in.gpu.data(), params.gpu.data() + offset, s.N, s.C, s.OC);
  const auto fused = out.from_gpu();
  p.gpu->register_weights(params.gpu.data(), params.host.size());  // marks the copy stale: full refresh
  p.gpu->matmul_forward(out.gpu.data(), in.gpu.data(), params.gpu.data() + offset, s.N, s.C, s.OC);
  BOOST_TEST(out.from_gpu() == fused, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(uploads_and_zeroing_refresh_the_registered_copy) {
  Pair p;
  const Shape s{64, 128, 96};
  const int64_t n = s.OC * s.C;
  Both params(p, random(size_t(n), 500, 0.1f));
  p.gpu->register_weights(params.gpu.data(), params.host.size());
  check_matmul(p, s, params, 0, 510, "before the upload");

  // New values over part of the range (rows 10..49 of w), through the backend's upload.
  std::vector<float> fresh = random(size_t(40 * s.C), 520, 0.5f);
  params.cpu.upload(fresh.data(), fresh.size(), size_t(10 * s.C));
  params.gpu.upload(fresh.data(), fresh.size(), size_t(10 * s.C));
  params.host = params.from_cpu();
  check_matmul(p, s, params, 0, 530, "after an upload into the range");

  params.cpu.zero();
  params.gpu.zero();
  params.host = params.from_cpu();
  check_matmul(p, s, params, 0, 540, "after zeroing the range");
}

// The seam's bf16 activations: the bf16 backend asks for them, RMSNorm and SwiGLU write them rounded
// once (bit for bit what rounding their fp32 outputs gives), and the products read them without a
// conversion: the same results as from the fp32 outputs, which the products round themselves.
uint16_t bf16_bits(float x) {  // round to nearest even, as __float2bfloat16_rn (no NaNs here)
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

BOOST_AUTO_TEST_CASE(bf16_activations_are_written_once_and_read_as_they_are) {
  using moelaw::backend::DType;
  using moelaw::backend::TensorArray;
  Pair p;
  BOOST_TEST((p.gpu->activation_type() == DType::bf16));
  BOOST_TEST((p.cpu->activation_type() == DType::f32));
  const int64_t N = 64, C = 128, F = 384;
  Both x(p, random(size_t(N * C), 600)), gain(p, random(size_t(C), 601)), rstd(p, size_t(N));
  Both ln32(p, size_t(N * C));
  TensorArray ln16(*p.gpu, DType::bf16, size_t(N * C));
  p.gpu->rmsnorm_forward(ln32.gpu.data(), rstd.gpu.data(), x.gpu.data(), gain.gpu.data(), N, C, 1e-5);
  p.gpu->rmsnorm_forward(ln16.out(), rstd.gpu.data(), x.gpu.data(), gain.gpu.data(), N, C, 1e-5);
  std::vector<uint16_t> written(size_t(N * C));
  p.gpu->copy_to_host(written.data(), ln16.in().raw(), written.size() * 2);
  const auto fp32 = ln32.from_gpu();
  size_t differ = 0;
  for (size_t i = 0; i < fp32.size(); ++i) differ += written[i] != bf16_bits(fp32[i]);
  BOOST_TEST(differ == 0u, "RMSNorm's bf16 output differs from its rounded fp32 output at " << differ << " entries");

  Both w(p, random(size_t(F * C), 602, 0.1f)), from32(p, size_t(N * F)), from16(p, size_t(N * F));
  p.gpu->matmul_forward(from32.gpu.data(), ln32.gpu.data(), w.gpu.data(), N, C, F);
  p.gpu->matmul_forward(from16.gpu.data(), ln16.in(), w.gpu.data(), N, C, F);
  BOOST_TEST(from16.from_gpu() == from32.from_gpu(), boost::test_tools::per_element());
  Both dout(p, random(size_t(N * F), 603)), dw32(p, size_t(F * C)), dw16(p, size_t(F * C));
  p.gpu->matmul_backward(nullptr, dw32.gpu.data(), dout.gpu.data(), ln32.gpu.data(), w.gpu.data(), N, C, F);
  p.gpu->matmul_backward(nullptr, dw16.gpu.data(), dout.gpu.data(), ln16.in(), w.gpu.data(), N, C, F);
  BOOST_TEST(dw16.from_gpu() == dw32.from_gpu(), boost::test_tools::per_element());

  Both gate(p, random(size_t(N * F), 604, 3.0f)), up(p, random(size_t(N * F), 605)), h32(p, size_t(N * F));
  TensorArray h16(*p.gpu, DType::bf16, size_t(N * F));
  p.gpu->swiglu_forward(h32.gpu.data(), gate.gpu.data(), up.gpu.data(), N, F);
  p.gpu->swiglu_forward(h16.out(), gate.gpu.data(), up.gpu.data(), N, F);
  std::vector<uint16_t> h_bits(size_t(N * F));
  p.gpu->copy_to_host(h_bits.data(), h16.in().raw(), h_bits.size() * 2);
  const auto h_fp32 = h32.from_gpu();
  differ = 0;
  for (size_t i = 0; i < h_fp32.size(); ++i) differ += h_bits[i] != bf16_bits(h_fp32[i]);
  BOOST_TEST(differ == 0u, "SwiGLU's bf16 output differs from its rounded fp32 output at " << differ << " entries");
}

BOOST_AUTO_TEST_CASE(fp32_backends_refuse_bf16_tensors) {
  using moelaw::backend::DType;
  moelaw::testing::BackendPair fp32;
  moelaw::backend::TensorArray h(*fp32.gpu, DType::bf16, 16);
  Both gate(fp32, random(16, 606)), up(fp32, random(16, 607));
  BOOST_CHECK_THROW(fp32.gpu->matmul_forward(gate.gpu.data(), h.in(), up.gpu.data(), 4, 4, 4), std::invalid_argument);
  BOOST_CHECK_THROW(fp32.cpu->swiglu_forward(moelaw::backend::TensorArray(*fp32.cpu, DType::bf16, 16).out(),
                                            gate.cpu.data(), up.cpu.data(), 4, 4),
                    std::invalid_argument);
}

// The plan cache is bounded (an MoE run brings a new row count per expert and step): more
// distinct shapes than LtMatmul::kPlanCapacity leave that many plans, and a shape whose plan was
// dropped is planned again and computed right. A = ones (m×8), B = ones (8×8): D = 8 everywhere.
BOOST_AUTO_TEST_CASE(plan_cache_stays_bounded) {
  using moelaw::cuda::LtMatmul;
  const int64_t k = 8, n = 8, extra = 40, shapes = int64_t(LtMatmul::kPlanCapacity) + extra;
  const int64_t max_m = 8 * shapes;  // m a multiple of 8: 16-byte aligned leading dimensions
  auto& memory = moelaw::cuda::device_memory();
  DeviceArray<__nv_bfloat16> a(memory, size_t(max_m * k)), b(memory, size_t(k * n));
  DeviceArray<float> d(memory, size_t(max_m * n));
  a.upload(std::vector<__nv_bfloat16>(a.size(), __float2bfloat16(1.0f)).data(), a.size());
  b.upload(std::vector<__nv_bfloat16>(b.size(), __float2bfloat16(1.0f)).data(), b.size());
  LtMatmul lt;
  auto product = [&](int64_t m) {
    lt.gemm(CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, a.data(), m, b.data(), k, 0.0f, d.data(), m);
  };
  for (int64_t i = 1; i <= shapes; ++i) product(8 * i);
  BOOST_TEST(lt.plans_held() == LtMatmul::kPlanCapacity);
  BOOST_TEST(lt.plans_evicted() == size_t(extra));
  product(8);  // the first plan dropped
  std::vector<float> host(size_t(8 * n));
  d.download(host.data(), host.size());
  size_t wrong = 0;
  for (float v : host) wrong += v != 8.0f;
  BOOST_TEST(wrong == 0u);
  BOOST_TEST(lt.plans_held() == LtMatmul::kPlanCapacity);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
