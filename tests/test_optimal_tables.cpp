// The `optimal --law joint` workflow without the command: the compute optimum against a brute-force
// scan of L(N, C/6N) over N, the memory-constrained choice of E against the smallest loss of its
// own rows, and the inference optimum against a scan of the budget split.
#include <cmath>

#include <boost/test/unit_test.hpp>

#include "analysis/optimal_tables.hpp"
#include "common/errors.hpp"
#include "fit_test_support.hpp"

BOOST_AUTO_TEST_SUITE(test_optimal_tables)

using namespace moelaw::analysis;

namespace {

FitReport published() {
  moelaw::testing::PublishedJoint p;
  FitReport f;
  f.law = "joint";
  f.coefficients = {{"a", p.a},         {"alpha", p.alpha},     {"delta", p.delta}, {"gamma", p.gamma},
                    {"b", p.b},         {"beta", p.beta},       {"omega", p.omega}, {"zeta", p.zeta},
                    {"e_start", p.e_start}, {"e_max", p.e_max}, {"c", p.c}};
  return f;
}

// The smallest loss over a fine grid of ln N at budget C: N·D fixed by C = 6·N·D (+ 2·N·D_inf).
double scan_min(double budget, double experts, double d_inf = 0) {
  moelaw::testing::PublishedJoint p;
  double best = INFINITY;
  for (double u = std::log(1e6); u < std::log(budget / 6); u += 1e-4) {
    double n = std::exp(u), d = (budget - 2 * n * d_inf) / (6 * n);
    if (d > 0) best = std::min(best, p.loss(n, d, experts));
  }
  return best;
}

}  // namespace

BOOST_AUTO_TEST_CASE(compute_and_inference_optima_match_a_scan) {
  JointOptimalRequest r;
  r.budgets = {1e20, 1e22};
  r.experts = {1, 8};
  r.inference_tokens = 1e12;
  JointOptimalTables t = joint_optimal_tables(published(), "published", r);
  BOOST_REQUIRE_EQUAL(t.compute.size(), 4u);
  BOOST_REQUIRE_EQUAL(t.inference.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const Optimum& o = t.compute[i];
    BOOST_TEST(o.budget == r.budgets[i / 2]);
    BOOST_TEST(o.experts == r.experts[i % 2]);
    BOOST_CHECK_CLOSE(6 * o.n_act * o.tokens, o.budget, 1e-9);
    BOOST_CHECK_CLOSE(o.loss, scan_min(o.budget, o.experts), 1e-6);
    const Optimum& q = t.inference[i];
    BOOST_CHECK_CLOSE(q.loss, scan_min(q.budget, q.experts, 1e12), 1e-6);
    BOOST_TEST(q.n_act < o.n_act);  // paying for inference favours smaller models
  }
  auto j = to_json(t);
  BOOST_TEST(j["compute_optimal"].size() == 4u);
  BOOST_TEST(j["inference_tokens"] == 1e12);
  BOOST_TEST(!j.contains("memory_optimal"));
  BOOST_TEST(to_markdown(t).find("## Training + inference optimum") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(memory_optimum_picks_the_lowest_loss_that_fits) {
  JointOptimalRequest r;
  r.budgets = {1e21};
  r.experts = {1, 4, 16, 64};
  r.memory = MemorySpec{4e9, 2048, 2};
  JointOptimalTables t = joint_optimal_tables(published(), "published", r);
  BOOST_REQUIRE_EQUAL(t.memory.size(), 4u);
  const Optimum* best = &t.memory[0];
  for (const Optimum& o : t.memory) {
    BOOST_TEST(o.memory_bytes <= 4e9 * (1 + 1e-9));
    if (o.loss < best->loss) best = &o;
  }
  BOOST_TEST(t.memory.back().memory_bound);  // 64 experts of the compute optimum do not fit in 4 GB
  auto j = to_json(t);
  BOOST_TEST(j["memory_optimal"][0]["best_experts"] == best->experts);
  BOOST_TEST(j["memory_optimal"][0]["per_experts"].size() == 4u);
}

BOOST_AUTO_TEST_CASE(other_laws_are_refused) {
  FitReport f = published();
  f.law = "chinchilla";
  JointOptimalRequest r;
  r.budgets = {1e20}, r.experts = {1};
  BOOST_CHECK_THROW(joint_optimal_tables(f, "x.json", r), moelaw::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
