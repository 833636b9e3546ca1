// Every backend operation's backward against central finite differences, in double precision on
// the CPU reference backend. Each check differentiates the scalar Σ R ⊙ op(inputs) for a fixed
// random R, so every output entry contributes. Gradients are accumulated onto random starting
// values, which checks the "backward adds into gradients" contract at the same time.
//
// Tolerance: step h = 1e-6; |analytic − numeric| ≤ 1e-9 + 1e-6·|value|. In double the truncation
// error of central differences is O(h²)·|f'''| ≈ 1e-12 and the rounding error ≈ 1e-16·|f|/h ≈ 1e-9
// for these O(10) sums, so a real mistake (typically O(1) relative) cannot hide under it.
#define BOOST_TEST_MODULE ops_gradients
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <memory>

#include "backend/backend.hpp"
#include "gradient_check.hpp"
#include "support/shared_instances.hpp"

using moelaw::backend::Backend;
using moelaw::testing::compare;
using moelaw::testing::random_vector;
using moelaw::testing::Tolerance;
using Vec = std::vector<double>;

namespace {

constexpr double kStep = 1e-6;
constexpr Tolerance kTolerance{1e-6, 1e-9};

Backend<double>& cpu() { return moelaw::testing::cpu_backend<double>(); }

struct Input {
  std::string name;
  Vec* value;
};

// forward(out) computes the op from the inputs' current values; backward(dout, grads) adds the
// inputs' gradients (same order as inputs) into grads.
void check_op(const std::string& op, const std::vector<Input>& inputs, size_t out_size,
              const std::function<void(Vec&)>& forward,
              const std::function<void(const Vec&, std::vector<Vec>&)>& backward) {
  const Vec weights = random_vector(out_size, 0x5eed ^ out_size);
  auto loss = [&] {
    Vec out(out_size);
    forward(out);
    return moelaw::testing::dot(weights, out);
  };
  std::vector<Vec> grads, starts;
  for (size_t i = 0; i < inputs.size(); ++i) {
    starts.push_back(random_vector(inputs[i].value->size(), 77 + i));
    grads.push_back(starts.back());
  }
  backward(weights, grads);
  for (size_t i = 0; i < inputs.size(); ++i) {
    Vec analytic(grads[i].size());
    for (size_t j = 0; j < analytic.size(); ++j) analytic[j] = grads[i][j] - starts[i][j];
    const Vec numeric = moelaw::testing::numeric_gradient(loss, *inputs[i].value, kStep);
    const auto c = compare(numeric, analytic, kTolerance);
    BOOST_TEST_MESSAGE(c.describe(op + " d/d" + inputs[i].name));
    BOOST_TEST(c.ok, c.describe(op + " d/d" + inputs[i].name));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(matmul) {
  const int64_t N = 5, C = 7, OC = 4;
  Vec in = random_vector(N * C, 1), w = random_vector(OC * C, 2);
  check_op("matmul", {{"in", &in}, {"w", &w}}, N * OC,
           [&](Vec& out) { cpu().matmul_forward(out.data(), in.data(), w.data(), N, C, OC); },
           [&](const Vec& dout, std::vector<Vec>& g) {
             cpu().matmul_backward(g[0].data(), g[1].data(), dout.data(), in.data(), w.data(), N, C, OC);
           });
}

BOOST_AUTO_TEST_CASE(embedding) {
  const int64_t N = 9, C = 3, V = 4;  // fewer rows than positions: repeated tokens must add up
  const std::vector<int32_t> tokens = moelaw::testing::random_tokens(N, V, 3);
  Vec table = random_vector(V * C, 4);
  check_op("embedding", {{"table", &table}}, N * C,
           [&](Vec& out) { cpu().embedding_forward(out.data(), tokens.data(), table.data(), N, C); },
           [&](const Vec& dout, std::vector<Vec>& g) {
             cpu().embedding_backward(g[0].data(), dout.data(), tokens.data(), N, C);
           });
}

BOOST_AUTO_TEST_CASE(rmsnorm) {
  const int64_t N = 4, C = 6;
  const double eps = 1e-5;
  Vec in = random_vector(N * C, 5), gain = random_vector(C, 6, 0.5, 1.5);
  Vec rstd(N);
  check_op("rmsnorm", {{"in", &in}, {"gain", &gain}}, N * C,
           [&](Vec& out) { cpu().rmsnorm_forward(out.data(), rstd.data(), in.data(), gain.data(), N, C, eps); },
           [&](const Vec& dout, std::vector<Vec>& g) {
             Vec out(N * C);
             cpu().rmsnorm_forward(out.data(), rstd.data(), in.data(), gain.data(), N, C, eps);
             cpu().rmsnorm_backward(g[0].data(), g[1].data(), dout.data(), in.data(), gain.data(),
                                    rstd.data(), N, C);
           });
}

BOOST_AUTO_TEST_CASE(rope) {
  const int64_t B = 2, T = 5, H = 2, D = 6;
  Vec in = random_vector(B * T * H * D, 7);
  check_op("rope", {{"in", &in}}, in.size(),
           [&](Vec& out) { cpu().rope_forward(out.data(), in.data(), B, T, H, D, 10000.0); },
           [&](const Vec& dout, std::vector<Vec>& g) {
             cpu().rope_backward(g[0].data(), dout.data(), B, T, H, D, 10000.0);
           });
}

BOOST_AUTO_TEST_CASE(rope_is_a_rotation_by_position) {
  // Position 0 is untouched, and a rotation keeps each pair's length.
  const int64_t T = 3, D = 4;
  Vec in = random_vector(T * D, 8), out(T * D);
  cpu().rope_forward(out.data(), in.data(), 1, T, 1, D, 10000.0);
  for (int64_t i = 0; i < D; ++i) BOOST_TEST(out[i] == in[i]);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < D / 2; ++i) {
      const double a = std::hypot(in[t * D + i], in[t * D + i + D / 2]);
      const double b = std::hypot(out[t * D + i], out[t * D + i + D / 2]);
      BOOST_TEST(std::abs(a - b) < 1e-14);
    }
}

BOOST_AUTO_TEST_CASE(attention) {
  const int64_t B = 2, T = 4, H = 2, D = 3, C = H * D;
  Vec q = random_vector(B * T * C, 9), k = random_vector(B * T * C, 10), v = random_vector(B * T * C, 11);
  Vec probs(size_t(cpu().attention_state_size(B, T, H, D)));
  check_op("attention", {{"q", &q}, {"k", &k}, {"v", &v}}, B * T * C,
           [&](Vec& out) {
             cpu().attention_forward(out.data(), probs.data(), q.data(), k.data(), v.data(), B, T, H, D);
           },
           [&](const Vec& dout, std::vector<Vec>& g) {
             Vec out(B * T * C);
             cpu().attention_forward(out.data(), probs.data(), q.data(), k.data(), v.data(), B, T, H, D);
             cpu().attention_backward(g[0].data(), g[1].data(), g[2].data(), dout.data(), out.data(), probs.data(),
                                      q.data(), k.data(), v.data(), B, T, H, D);
           });
}

BOOST_AUTO_TEST_CASE(attention_is_causal) {
  // Changing a later position's key or value never changes an earlier output.
  const int64_t T = 5, H = 1, D = 4, C = H * D;
  Vec q = random_vector(T * C, 12), k = random_vector(T * C, 13), v = random_vector(T * C, 14);
  Vec probs(T * T), before(T * C), after(T * C);
  cpu().attention_forward(before.data(), probs.data(), q.data(), k.data(), v.data(), 1, T, H, D);
  for (int64_t i = 0; i < C; ++i) {
    k[(T - 1) * C + i] += 1.0;
    v[(T - 1) * C + i] -= 2.0;
  }
  cpu().attention_forward(after.data(), probs.data(), q.data(), k.data(), v.data(), 1, T, H, D);
  for (int64_t i = 0; i < (T - 1) * C; ++i) BOOST_TEST(before[i] == after[i]);
}

BOOST_AUTO_TEST_CASE(swiglu) {
  const int64_t N = 3, F = 5;
  Vec gate = random_vector(N * F, 15, -3, 3), up = random_vector(N * F, 16);
  check_op("swiglu", {{"gate", &gate}, {"up", &up}}, N * F,
           [&](Vec& out) { cpu().swiglu_forward(out.data(), gate.data(), up.data(), N, F); },
           [&](const Vec& dout, std::vector<Vec>& g) {
             cpu().swiglu_backward(g[0].data(), g[1].data(), dout.data(), gate.data(), up.data(), N, F);
           });
}

BOOST_AUTO_TEST_CASE(cross_entropy) {
  const int64_t N = 4, V = 7;
  const std::vector<int32_t> targets = {3, 0, -1, 6};  // -1: a position without a loss
  const double scale = 0.37;
  Vec logits = random_vector(N * V, 17, -4, 4);
  auto loss = [&] {
    Vec work = logits, losses(N);
    cpu().cross_entropy_forward(losses.data(), work.data(), targets.data(), N, V);
    double s = 0;
    for (double l : losses) s += scale * l;
    return s;
  };
  Vec work = logits, losses(N);
  cpu().cross_entropy_forward(losses.data(), work.data(), targets.data(), N, V);
  BOOST_TEST(losses[2] == 0.0);
  for (int64_t n = 0; n < N; ++n) {
    double row = 0;
    for (int64_t j = 0; j < V; ++j) row += work[n * V + j];
    BOOST_TEST(std::abs(row - 1.0) < 1e-14);  // rows became probabilities
  }
  cpu().cross_entropy_backward(work.data(), targets.data(), scale, N, V);
  const Vec numeric = moelaw::testing::numeric_gradient<double>(loss, logits, kStep);
  const auto c = compare(numeric, work, kTolerance);
  BOOST_TEST_MESSAGE(c.describe("cross_entropy d/dlogits"));
  BOOST_TEST(c.ok, c.describe("cross_entropy d/dlogits"));
}

BOOST_AUTO_TEST_CASE(adamw_matches_the_update_rule) {
  const moelaw::backend::AdamWHyper h0{1e-2, 0.9, 0.95, 1e-8, 0.1, 1};
  Vec p = random_vector(6, 18), m(6, 0.0), v(6, 0.0);
  Vec ref_p = p, ref_m = m, ref_v = v;
  for (int64_t step = 1; step <= 3; ++step) {
    const Vec g = random_vector(6, 100 + step);
    auto h = h0;
    h.step = step;
    cpu().adamw_update(p.data(), g.data(), m.data(), v.data(), 6, h);
    for (size_t i = 0; i < 6; ++i) {
      ref_m[i] = 0.9 * ref_m[i] + 0.1 * g[i];
      ref_v[i] = 0.95 * ref_v[i] + 0.05 * g[i] * g[i];
      const double mhat = ref_m[i] / (1 - std::pow(0.9, step));
      const double vhat = ref_v[i] / (1 - std::pow(0.95, step));
      // Decoupled decay: the decay term is not part of the gradient the moments see.
      ref_p[i] -= 1e-2 * (mhat / (std::sqrt(vhat) + 1e-8) + 0.1 * ref_p[i]);
    }
  }
  const auto c = compare(ref_p, p, {1e-14, 1e-15});
  BOOST_TEST(c.ok, c.describe("adamw params"));
  BOOST_TEST(compare(ref_m, m, {1e-14, 1e-15}).ok);
  BOOST_TEST(compare(ref_v, v, {1e-14, 1e-15}).ok);
}

BOOST_AUTO_TEST_CASE(reductions_do_not_depend_on_threads) {
  // Long enough to run threaded, over several chunks of the fixed-order reduction.
  Vec x = random_vector(100'000, 19);
  double sq = 0, s = 0;
  for (double a : x) {
    sq += a * a;
    s += a;
  }
  BOOST_TEST(std::abs(cpu().sum_squares(x.data(), x.size()) - sq) < 1e-9);
  BOOST_TEST(std::abs(cpu().sum(x.data(), x.size()) - s) < 1e-9);
  cpu().scale(x.data(), x.size(), 0.5);
  BOOST_TEST(std::abs(cpu().sum(x.data(), x.size()) - 0.5 * s) < 1e-9);
}
