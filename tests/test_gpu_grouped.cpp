// The grouped matrix products of the seam (the MoE experts') on the CUDA backend against the CPU
// reference, with empty and odd-sized groups and weights w_stride apart (a gap between them), per
// group and (bf16) as one strided-batched product over a padded layout.
// fp32: the per-group cuBLAS loop, 1e-5 + 2e-4·|cpu| as in test_gpu_ops. bf16: per element
// |gpu − cpu| ≤ 2^-7·Σ|a||b| + 1e-6 against the CPU in fp32, the bound of test_gpu_bf16.cpp
// (derived there). Skipped where no GPU can be used.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "backend/precision.hpp"
#include "cuda_backend.hpp"
#include "support/backend_pair.hpp"
#include "support/gpu.hpp"

BOOST_AUTO_TEST_SUITE(test_gpu_grouped)

using moelaw::backend::Backend;
using moelaw::backend::DeviceArray;
using moelaw::backend::Precision;

namespace {

using Pair = moelaw::testing::BackendPair;
using Both = moelaw::testing::Mirrored<float>;
using moelaw::testing::random;

struct Problem {
  std::vector<int64_t> rows;  // per group, some empty, some odd
  int64_t C, OC, w_stride;
  int64_t total() const { return std::accumulate(rows.begin(), rows.end(), int64_t(0)); }
  int64_t groups() const { return int64_t(rows.size()); }
  size_t weight_values() const { return size_t((groups() - 1) * w_stride + OC * C); }
  std::string describe() const {
    std::ostringstream s;
    s << "rows";
    for (int64_t r : rows) s << ' ' << r;
    s << " C=" << C << " OC=" << OC << " w_stride=" << w_stride;
    return s.str();
  }
};

// Σ|a||b| per element of the three products, group by group (row-major, as in backend/ops.hpp). Weight
// values outside every group's matrix (the gaps) keep magnitude 0: nothing may write them.
struct Magnitudes {
  std::vector<double> out, din, dw;
};
Magnitudes magnitudes(const Problem& p, const float* in, const float* w, const float* dout) {
  const int64_t C = p.C, OC = p.OC;
  Magnitudes m{std::vector<double>(size_t(p.total() * OC), 0.0), std::vector<double>(size_t(p.total() * C), 0.0),
               std::vector<double>(p.weight_values(), 0.0)};
  int64_t row = 0;
  for (int64_t g = 0; g < p.groups(); ++g) {
    const float* wg = w + g * p.w_stride;
    for (int64_t n = row; n < row + p.rows[g]; ++n)
      for (int64_t o = 0; o < OC; ++o)
        for (int64_t c = 0; c < C; ++c) {
          m.out[size_t(n * OC + o)] += std::abs(double(in[n * C + c]) * wg[o * C + c]);
          m.din[size_t(n * C + c)] += std::abs(double(dout[n * OC + o]) * wg[o * C + c]);
          m.dw[size_t(g * p.w_stride + o * C + c)] += std::abs(double(dout[n * OC + o]) * in[n * C + c]);
        }
    row += p.rows[g];
  }
  return m;
}

constexpr double kBf16Relative = 1.0 / 128, kBf16Absolute = 1e-6;  // 2^-7, see test_gpu_bf16.cpp
constexpr double kFp32Relative = 2e-4, kFp32Absolute = 1e-5;        // as in test_gpu_ops

// bf16: the magnitude bound; fp32: relative to the CPU's value.
void expect_within(const std::vector<float>& gpu, const std::vector<float>& cpu, const std::vector<double>& magnitude,
                   Precision precision, const std::string& what) {
  BOOST_REQUIRE_EQUAL(gpu.size(), cpu.size());
  BOOST_REQUIRE_EQUAL(gpu.size(), magnitude.size());
  double worst = -1e300;
  size_t at = 0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    const double bound = precision == Precision::bf16 ? kBf16Relative * magnitude[i] + kBf16Absolute
                                                       : kFp32Relative * std::abs(double(cpu[i])) + kFp32Absolute;
    const double excess = std::abs(double(gpu[i]) - cpu[i]) - bound;
    if (excess > worst) worst = excess, at = i;
  }
  BOOST_TEST(worst <= 0.0, what << ": element " << at << " gpu " << gpu[at] << " cpu " << cpu[at]);
}

// Forward, and both gradients accumulated onto non-zero buffers, of weights[offset, ...).
void check_grouped(Pair& pair, Precision precision, const Problem& p, Both& weights, int64_t offset, uint64_t seed) {
  const int64_t N = p.total(), C = p.C, OC = p.OC, G = p.groups();
  const std::string what = p.describe();
  const float* w_host = weights.host.data() + offset;
  Both in(pair, random(size_t(N * C), seed)), out(pair, random(size_t(N * OC), seed + 1));
  pair.cpu->grouped_matmul_forward(out.cpu.data(), in.cpu.data(), weights.cpu.data() + offset, p.rows.data(), G, C,
                                   OC, p.w_stride);
  pair.gpu->grouped_matmul_forward(out.gpu.data(), in.gpu.data(), weights.gpu.data() + offset, p.rows.data(), G, C,
                                   OC, p.w_stride);
  Both dout(pair, random(size_t(N * OC), seed + 2)), din(pair, random(size_t(N * C), seed + 3));
  Both dw(pair, random(p.weight_values(), seed + 4));
  const auto m = magnitudes(p, in.host.data(), w_host, dout.host.data());
  expect_within(out.from_gpu(), out.from_cpu(), m.out, precision, "forward " + what);

  pair.cpu->grouped_matmul_backward(din.cpu.data(), dw.cpu.data(), dout.cpu.data(), in.cpu.data(),
                                    weights.cpu.data() + offset, p.rows.data(), G, C, OC, p.w_stride);
  pair.gpu->grouped_matmul_backward(din.gpu.data(), dw.gpu.data(), dout.gpu.data(), in.gpu.data(),
                                    weights.gpu.data() + offset, p.rows.data(), G, C, OC, p.w_stride);
  expect_within(din.from_gpu(), din.from_cpu(), m.din, precision, "d input " + what);
  expect_within(dw.from_gpu(), dw.from_cpu(), m.dw, precision, "d weight " + what);
  // Empty groups and the gaps between the groups' weights are left as they were.
  const auto dw_gpu = dw.from_gpu();
  size_t changed_outside = 0;
  for (size_t i = 0; i < dw_gpu.size(); ++i)
    if (m.dw[i] == 0.0 && dw_gpu[i] != dw.host[i]) ++changed_outside;
  BOOST_TEST(changed_outside == 0u, "d weight " << what << ": values outside the non-empty groups changed");
}

// Groups of 0 and odd sizes, a leading and a trailing empty group, a gap of odd length between the
// weights (odd bf16 offsets), odd C and OC; and one model-like shape.
const std::vector<Problem> kProblems = {
    {{0, 5, 1, 0, 17, 3, 0}, 33, 7, 33 * 7 + 5},
    {{37, 0, 64, 9}, 40, 96, 40 * 96},
    {{128, 96, 0, 160}, 128, 384, 128 * 384},
    {{0, 0, 0}, 16, 8, 16 * 8},
    {{5}, 24, 16, 24 * 16},  // one group: a batch of one
};

// padded: the bf16 products as one strided-batched product over a padded layout.
void check_all(Precision precision, bool registered, bool padded = false) {
  Pair pair(precision);
  if (padded) moelaw::cuda::set_padded_expert_products(*pair.gpu, true);
  uint64_t seed = 700;
  for (const auto& p : kProblems) {
    const int64_t offset = 3;  // inside a larger buffer, at an odd offset
    Both weights(pair, random(size_t(offset) + p.weight_values() + 11, seed++, 0.1f));
    if (registered) pair.gpu->register_weights(weights.gpu.data(), weights.host.size());
    check_grouped(pair, precision, p, weights, offset, seed += 10);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cuda_grouped, *boost::unit_test::precondition(moelaw::testing::GpuAvailable()))

BOOST_AUTO_TEST_CASE(fp32_against_cpu) { check_all(Precision::fp32, false); }

BOOST_AUTO_TEST_CASE(bf16_against_cpu_fp32_unregistered_weights) { check_all(Precision::bf16, false); }

BOOST_AUTO_TEST_CASE(bf16_against_cpu_fp32_registered_weights) { check_all(Precision::bf16, true); }

BOOST_AUTO_TEST_CASE(bf16_padded_batched_against_cpu_fp32) {
  check_all(Precision::bf16, false, true);
  check_all(Precision::bf16, true, true);
}

BOOST_AUTO_TEST_CASE(padded_products_are_refused_outside_bf16) {
  Pair pair(Precision::fp32);
  BOOST_CHECK_THROW(moelaw::cuda::set_padded_expert_products(*pair.gpu, true), std::invalid_argument);
  BOOST_CHECK_THROW(moelaw::cuda::set_padded_expert_products(*pair.cpu, true), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
