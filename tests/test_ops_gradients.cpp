// Every backward of the op table (tests/support/op_table.hpp) against central finite differences,
// in double precision on the CPU reference backend. Each check differentiates the scalar
// Σ R ⊙ op(inputs) for a fixed random R, so every output entry contributes. Gradients are
// accumulated onto random starting values, which checks the "backward adds into gradients"
// contract at the same time. A family of the op contract without a case fails here.
//
// Tolerance: step h = 1e-6; |analytic − numeric| ≤ 1e-9 + 1e-6·|value|. In double the truncation
// error of central differences is O(h²)·|f'''| ≈ 1e-12 and the rounding error ≈ 1e-16·|f|/h ≈ 1e-9
// for these O(10) sums, so a real mistake (typically O(1) relative) cannot hide under it.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <memory>

#include "backend/backend.hpp"
#include "gradient_check.hpp"
#include "support/op_table.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_ops_gradients)

using moelaw::backend::Backend;
using moelaw::testing::compare;
using moelaw::testing::random_vector;
using moelaw::testing::Tolerance;
using Vec = std::vector<double>;

namespace {

constexpr double kStep = 1e-6;
constexpr Tolerance kTolerance{1e-6, 1e-9};

Backend<double>& cpu() { return moelaw::testing::cpu_backend<double>(); }

// Every backward of the op table against central differences of Σ R ⊙ (weighted outputs), R being
// the values the case puts into the outputs' gradients.
void check_case(const moelaw::testing::OpCase<double>& c) {
  using moelaw::testing::RealSpec;
  auto& be = cpu();
  auto analytic = moelaw::testing::make_buffers(be, c);
  c.forward(be, analytic);
  c.backward(be, analytic);
  for (const auto& input : c.reals) {
    if (input.role != RealSpec::input || !input.differentiable) continue;
    Vec x = moelaw::testing::start_values(input, 1);
    auto loss = [&] {
      auto fresh = moelaw::testing::make_buffers(be, c);
      fresh.real_.at(input.name).upload(x.data(), x.size());
      c.forward(be, fresh);
      double s = 0;
      for (const auto& out : c.reals)
        if (out.role == RealSpec::output && out.differentiable)
          s += moelaw::testing::dot(moelaw::testing::gradient_start(out), moelaw::testing::download(fresh.real_.at(out.name)));
      return s;
    };
    const Vec numeric = moelaw::testing::numeric_gradient<double>(loss, x, kStep);
    Vec added = moelaw::testing::download(analytic.real_.at("d" + input.name));
    const Vec start = moelaw::testing::gradient_start(input);
    for (size_t j = 0; j < added.size(); ++j) added[j] -= start[j];
    const auto cmp = compare(numeric, added, kTolerance);
    BOOST_TEST_MESSAGE(cmp.describe(c.name + " d/d" + input.name));
    BOOST_TEST(cmp.ok, cmp.describe(c.name + " d/d" + input.name));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_op_of_the_contract_has_a_case) {
  const std::string missing = moelaw::testing::ops_without_a_case(moelaw::testing::op_cases<double>(moelaw::testing::gradient_dims()));
  BOOST_TEST(missing.empty(), "op families without a case in tests/support/op_table.hpp: " << missing);
}

BOOST_AUTO_TEST_CASE(backward_of_every_case_matches_finite_differences) {
  int checked = 0;
  for (const auto& c : moelaw::testing::op_cases<double>(moelaw::testing::gradient_dims())) {
    if (!c.backward) continue;
    BOOST_TEST_CONTEXT(c.name) { check_case(c); }
    ++checked;
  }
  BOOST_TEST(checked >= 14);  // every family with a backward
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

// Beyond the table's gradient: a position without a target has no loss, and rows become probabilities.
BOOST_AUTO_TEST_CASE(cross_entropy_writes_probabilities) {
  const int64_t N = 4, V = 7;
  const std::vector<int32_t> targets = {3, 0, -1, 6};  // -1: a position without a loss
  Vec work = random_vector(N * V, 17, -4, 4), losses(N);
  cpu().cross_entropy_forward(losses.data(), work.data(), targets.data(), N, V);
  BOOST_TEST(losses[2] == 0.0);
  for (int64_t n = 0; n < N; ++n) {
    double row = 0;
    for (int64_t j = 0; j < V; ++j) row += work[n * V + j];
    BOOST_TEST(std::abs(row - 1.0) < 1e-14);  // rows became probabilities
  }
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

BOOST_AUTO_TEST_SUITE_END()
