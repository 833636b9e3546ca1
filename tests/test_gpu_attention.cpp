// Flash attention (the CUDA backend in bf16, head sizes 64 and 128) against the CPU fp32
// reference: the forward output and its saved log-sum-exp, the gradients accumulated onto
// non-zero buffers (the seam's += contract), and bit-identical gradients from two runs.
//
// Tolerance. The kernels round q, k, v, dout to bf16 as they load them (relative error ≤ u =
// 2^-9); that alone moves a score by up to 2u·scale·Σ_i|q_ti·k_si| (≈ 0.02 for unit normal
// inputs at D = 64), and a first-order worst-case bound built on it is larger than the gradients
// themselves after the cancellation in dP − Δ: useless. So the reference is the CPU fp32
// attention of the bf16-rounded inputs — exactly the values the tensor cores multiply (bf16
// products are exact in fp32) — and the bound covers what the kernels round beyond that, per
// element, computed on the host from the reference's own terms (P the probabilities,
// dS_ts = P_ts(dP_ts − Δ_t)):
//   - P is rounded to bf16 before P·V and Pᵀ·dO:  |δout_ti| ≤ u·Σ_s P_ts|v_si|,
//                                                 |δdv_si|  ≤ u·Σ_t P_ts|dout_ti|;
//   - Δ_t = dout_t·out_t takes the kernel's out:  |δΔ_t| ≤ Σ_i |dout_ti|·|δout_ti|;
//   - dS is rounded to bf16 before dS·K, dSᵀ·Q:   |δdS_ts| ≤ e_ts + u(|dS_ts| + e_ts), e_ts = P_ts|δΔ_t|,
//                                                 |δdq_ti| ≤ scale·Σ_s |δdS_ts||k_si|, dk likewise with q;
//   - lse: only fp32 rounding.
// Allowed: 1.1·bound + 2e-5·Σ|terms| (fp32 summation order and exp2f on either side) + 1e-5.
// These are worst cases (the roundings add linearly); they stay a few percent of Σ|terms|, while
// an indexing or masking error moves a result by whole terms.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backend/backend.hpp"
#include "backend/precision.hpp"
#include "cuda_backend.hpp"
#include "support/gpu.hpp"

BOOST_AUTO_TEST_SUITE(test_gpu_attention)

using moelaw::backend::Backend;
using moelaw::backend::DeviceArray;
using Vec = std::vector<float>;

namespace {

constexpr double kU = 1.0 / 512;  // bf16 unit roundoff (8 significant bits, round to nearest)

Vec random(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  Vec v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

struct Shape {
  int64_t B, T, H, D;
  int64_t C() const { return H * D; }
  size_t n() const { return size_t(B * T * H * D); }
  size_t at(int64_t b, int64_t t, int64_t h) const { return size_t(((b * T + t) * H + h) * D); }
};

// Per-element bounds (and Σ|terms| scales) of what the kernels round beyond their bf16 inputs,
// from the reference of those inputs: probabilities P[B,H,T,T].
struct Bounds {
  std::vector<double> out, dq, dk, dv;          // worst-case error
  std::vector<double> out_mag, dq_mag, dk_mag, dv_mag;  // Σ|terms|
};

Bounds bounds(const Shape& s, const Vec& q, const Vec& k, const Vec& v, const Vec& dout, const Vec& probs) {
  const int64_t T = s.T, D = s.D;
  const double scale = 1.0 / std::sqrt(double(D));
  Bounds bd;
  for (auto* x : {&bd.out, &bd.dq, &bd.dk, &bd.dv, &bd.out_mag, &bd.dq_mag, &bd.dk_mag, &bd.dv_mag}) x->assign(s.n(), 0.0);
  std::vector<double> ds(static_cast<size_t>(T * T)), ds_err(ds.size());
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.H; ++h) {
      const float* P = probs.data() + size_t((b * s.H + h) * T * T);
      auto qr = [&](int64_t t) { return q.data() + s.at(b, t, h); };
      auto kr = [&](int64_t t) { return k.data() + s.at(b, t, h); };
      auto vr = [&](int64_t t) { return v.data() + s.at(b, t, h); };
      auto gr = [&](int64_t t) { return dout.data() + s.at(b, t, h); };
      for (int64_t t = 0; t < T; ++t) {
        double delta_err = 0;
        for (int64_t i = 0; i < D; ++i) {
          double mag = 0;
          for (int64_t j = 0; j <= t; ++j) mag += P[t * T + j] * std::abs(double(vr(j)[i]));
          bd.out_mag[s.at(b, t, h) + size_t(i)] = mag;
          bd.out[s.at(b, t, h) + size_t(i)] = kU * mag;
          // The kernel's Δ uses the unrounded fp32 dout, the reference the bf16-rounded one: that
          // adds up to u·Σ|dout||out| (|out| ≤ mag) to the output's own error, hence 2×.
          delta_err += 2 * std::abs(double(gr(t)[i])) * kU * mag;
        }
        std::vector<double> dp(size_t(t + 1));
        double delta = 0;
        for (int64_t j = 0; j <= t; ++j) {
          double x = 0;
          for (int64_t i = 0; i < D; ++i) x += double(gr(t)[i]) * vr(j)[i];
          dp[size_t(j)] = x;
          delta += P[t * T + j] * x;
        }
        for (int64_t j = 0; j <= t; ++j) {
          const size_t tj = size_t(t * T + j);
          ds[tj] = P[tj] * (dp[size_t(j)] - delta);
          const double e = P[tj] * delta_err;
          ds_err[tj] = e + kU * (std::abs(ds[tj]) + e);
        }
      }
      for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < D; ++i) {
          double e = 0, mag = 0;
          for (int64_t j = 0; j <= t; ++j) {
            const size_t tj = size_t(t * T + j);
            e += ds_err[tj] * std::abs(double(kr(j)[i]));
            mag += std::abs(ds[tj] * kr(j)[i]);
          }
          bd.dq[s.at(b, t, h) + size_t(i)] = scale * e;
          bd.dq_mag[s.at(b, t, h) + size_t(i)] = scale * mag;
        }
      for (int64_t j = 0; j < T; ++j)
        for (int64_t i = 0; i < D; ++i) {
          double ek = 0, mk = 0, mv = 0;
          for (int64_t t = j; t < T; ++t) {
            const size_t tj = size_t(t * T + j);
            ek += ds_err[tj] * std::abs(double(qr(t)[i]));
            mk += std::abs(ds[tj] * qr(t)[i]);
            mv += P[tj] * std::abs(double(gr(t)[i]));
          }
          bd.dk[s.at(b, j, h) + size_t(i)] = scale * ek;
          bd.dk_mag[s.at(b, j, h) + size_t(i)] = scale * mk;
          bd.dv[s.at(b, j, h) + size_t(i)] = kU * mv;
          bd.dv_mag[s.at(b, j, h) + size_t(i)] = mv;
        }
    }
  return bd;
}

// Every |gpu − cpu| within 1.1·bound + 2e-5·Σ|terms| + 1e-5.
void expect_within(const Vec& gpu, const Vec& cpu, const std::vector<double>& bound, const std::vector<double>& mag,
                   const char* what) {
  double worst = -1;
  size_t at = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double allowed = 1.1 * bound[i] + 2e-5 * mag[i] + 1e-5;
    const double ratio = std::abs(double(gpu[i]) - double(cpu[i])) / allowed;
    if (std::isnan(ratio)) {
      worst = INFINITY, at = i;
      break;
    }
    if (ratio > worst) worst = ratio, at = i;
  }
  BOOST_TEST(worst <= 1.0, what << ": element " << at << " gpu " << gpu[at] << " cpu " << cpu[at] << " bound "
                                << bound[at] << " (error/allowed " << worst << ")");
  BOOST_TEST_MESSAGE(what << ": largest error/allowed " << worst);
}

template <typename U>
Vec download(const DeviceArray<U>& a) {
  Vec h(a.size());
  a.download(h.data(), h.size());
  return h;
}

// The CPU fp32 reference: out, probabilities, and the gradients added onto g0.
struct Reference {
  Vec out, probs, dq, dk, dv;
};

Reference cpu_reference(const Shape& s, const Vec& q, const Vec& k, const Vec& v, const Vec& dout, const Vec& g0) {
  auto cpu = moelaw::backend::make_cpu_backend<float>();
  Reference r{Vec(s.n()), Vec(size_t(cpu->attention_state_size(s.B, s.T, s.H, s.D))), g0, g0, g0};
  cpu->attention_forward(r.out.data(), r.probs.data(), q.data(), k.data(), v.data(), s.B, s.T, s.H, s.D);
  cpu->attention_backward(r.dq.data(), r.dk.data(), r.dv.data(), dout.data(), r.out.data(), r.probs.data(), q.data(),
                          k.data(), v.data(), s.B, s.T, s.H, s.D);
  return r;
}

// lse[b,h,t] = log Σ_s exp(score_ts), in double.
Vec log_sum_exp(const Shape& s, const Vec& q, const Vec& k) {
  Vec lse(size_t(s.B * s.H * s.T));
  const double scale = 1.0 / std::sqrt(double(s.D));
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.H; ++h)
      for (int64_t t = 0; t < s.T; ++t) {
        std::vector<double> sc(size_t(t + 1));
        for (int64_t j = 0; j <= t; ++j) {
          double x = 0;
          for (int64_t i = 0; i < s.D; ++i) x += double(q[s.at(b, t, h) + size_t(i)]) * k[s.at(b, j, h) + size_t(i)];
          sc[size_t(j)] = x * scale;
        }
        const double m = *std::max_element(sc.begin(), sc.end());
        double sum = 0;
        for (double x : sc) sum += std::exp(x - m);
        lse[size_t((b * s.H + h) * s.T + t)] = float(m + std::log(sum));
      }
  return lse;
}

// Round to the nearest bf16 (ties to even), as __float2bfloat16_rn does; inputs are finite.
Vec round_to_bf16(Vec x) {
  for (auto& f : x) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    bits &= 0xffff0000u;
    std::memcpy(&f, &bits, 4);
  }
  return x;
}

struct Inputs {
  Vec q, k, v, dout, g0;  // g0: the gradients' prior values
  explicit Inputs(const Shape& s) {
    const uint64_t seed = uint64_t(s.T * 1000 + s.D);
    q = random(s.n(), seed + 1), k = random(s.n(), seed + 2), v = random(s.n(), seed + 3);
    dout = random(s.n(), seed + 4), g0 = random(s.n(), seed + 5);
  }
};

void check_flash(const Shape& s) {
  auto gpu = moelaw::cuda::make_cuda_backend(0, moelaw::backend::Precision::bf16);
  BOOST_TEST_REQUIRE(gpu->attention_state_size(s.B, s.T, s.H, s.D) == s.B * s.H * s.T);  // the flash path
  const Inputs in(s);
  // The reference of what the tensor cores see: the inputs rounded to bf16 (the GPU gets them
  // unrounded and rounds them itself).
  const Vec q = round_to_bf16(in.q), k = round_to_bf16(in.k), v = round_to_bf16(in.v);
  const Vec dout = round_to_bf16(in.dout);
  const Reference ref = cpu_reference(s, q, k, v, dout, in.g0);

  auto up = [&](const Vec& h) {
    DeviceArray<float> a(*gpu, h.size());
    a.upload(h.data(), h.size());
    return a;
  };
  DeviceArray<float> gq = up(in.q), gk = up(in.k), gv = up(in.v), gdout = up(in.dout), gout = up(random(s.n(), 9));
  DeviceArray<float> lse(*gpu, size_t(s.B * s.H * s.T));
  gpu->attention_forward(gout.data(), lse.data(), gq.data(), gk.data(), gv.data(), s.B, s.T, s.H, s.D);
  DeviceArray<float> gdq = up(in.g0), gdk = up(in.g0), gdv = up(in.g0);
  gpu->attention_backward(gdq.data(), gdk.data(), gdv.data(), gdout.data(), gout.data(), lse.data(), gq.data(),
                          gk.data(), gv.data(), s.B, s.T, s.H, s.D);

  const Bounds bd = bounds(s, q, k, v, dout, ref.probs);
  expect_within(download(gout), ref.out, bd.out, bd.out_mag, "flash forward");
  const Vec lse_ref = log_sum_exp(s, q, k);
  std::vector<double> lse_mag(lse_ref.size());
  for (size_t i = 0; i < lse_ref.size(); ++i) lse_mag[i] = std::abs(double(lse_ref[i]));
  expect_within(download(lse), lse_ref, std::vector<double>(lse_ref.size(), 0.0), lse_mag, "flash log-sum-exp state");
  expect_within(download(gdq), ref.dq, bd.dq, bd.dq_mag, "flash dq (accumulated)");
  expect_within(download(gdk), ref.dk, bd.dk, bd.dk_mag, "flash dk (accumulated)");
  expect_within(download(gdv), ref.dv, bd.dv, bd.dv_mag, "flash dv (accumulated)");

  // Determinism: the same backward onto the same prior values gives the same bits.
  DeviceArray<float> gdq2 = up(in.g0), gdk2 = up(in.g0), gdv2 = up(in.g0);
  gpu->attention_backward(gdq2.data(), gdk2.data(), gdv2.data(), gdout.data(), gout.data(), lse.data(), gq.data(),
                          gk.data(), gv.data(), s.B, s.T, s.H, s.D);
  auto same_bits = [](const Vec& a, const Vec& b) { return std::memcmp(a.data(), b.data(), a.size() * 4) == 0; };
  BOOST_TEST(same_bits(download(gdq), download(gdq2)), "dq differs between two runs");
  BOOST_TEST(same_bits(download(gdk), download(gdk2)), "dk differs between two runs");
  BOOST_TEST(same_bits(download(gdv), download(gdv2)), "dv differs between two runs");
}

}  // namespace

// Runs without a GPU: the bounds are far from vacuous, on average below 5% of each result's
// Σ|terms| scale (0.2% for out and dv, 1.5–2% for dq and dk), while an error in which terms are
// summed moves a result by whole terms.
BOOST_AUTO_TEST_CASE(bounds_are_tight_enough_to_catch_misplaced_terms) {
  for (const Shape s : {Shape{2, 100, 3, 64}, Shape{1, 70, 2, 128}}) {
    const Inputs in(s);
    const Reference ref = cpu_reference(s, in.q, in.k, in.v, in.dout, in.g0);
    const Bounds bd = bounds(s, in.q, in.k, in.v, in.dout, ref.probs);
    auto ratio = [](const std::vector<double>& bound, const std::vector<double>& mag) {
      double b = 0, m = 0;
      for (size_t i = 0; i < bound.size(); ++i) b += bound[i], m += mag[i];
      return b / m;
    };
    BOOST_TEST(ratio(bd.out, bd.out_mag) < 0.05);
    BOOST_TEST(ratio(bd.dq, bd.dq_mag) < 0.05);
    BOOST_TEST(ratio(bd.dk, bd.dk_mag) < 0.05);
    BOOST_TEST(ratio(bd.dv, bd.dv_mag) < 0.05);
    BOOST_TEST_MESSAGE("bound / Σ|terms|: out " << ratio(bd.out, bd.out_mag) << ", dq " << ratio(bd.dq, bd.dq_mag)
                                               << ", dk " << ratio(bd.dk, bd.dk_mag) << ", dv "
                                               << ratio(bd.dv, bd.dv_mag));
  }
}

BOOST_AUTO_TEST_SUITE(flash_attention, *boost::unit_test::precondition(moelaw::testing::GpuAvailable()))

BOOST_AUTO_TEST_CASE(head_dim_64) {
  for (int64_t T : {64, 100, 256}) {
    BOOST_TEST_CONTEXT("T = " << T) { check_flash({2, T, 3, 64}); }
  }
}

BOOST_AUTO_TEST_CASE(head_dim_128) {
  for (int64_t T : {64, 100, 256}) {
    BOOST_TEST_CONTEXT("T = " << T) { check_flash({2, T, 3, 128}); }
  }
}

BOOST_AUTO_TEST_CASE(state_sizes_follow_the_path) {
  // bf16 with a flash kernel: one LSE per row; fp32, or a head size without one: probabilities.
  auto bf16 = moelaw::cuda::make_cuda_backend(0, moelaw::backend::Precision::bf16);
  auto fp32 = moelaw::cuda::make_cuda_backend(0, moelaw::backend::Precision::fp32);
  BOOST_TEST(bf16->attention_state_size(2, 100, 3, 64) == 2 * 3 * 100);
  BOOST_TEST(bf16->attention_state_size(2, 100, 3, 128) == 2 * 3 * 100);
  BOOST_TEST(bf16->attention_state_size(2, 100, 3, 32) == 2 * 3 * 100 * 100);
  BOOST_TEST(fp32->attention_state_size(2, 100, 3, 64) == 2 * 3 * 100 * 100);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
