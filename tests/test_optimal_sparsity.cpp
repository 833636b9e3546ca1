// Optimal sparsity from the sparsity law's published coefficients (DESIGN.md, Abnar et al. 2025):
// S* at fixed budget and total N against a brute-force scan over S written here (with the shape
// rule written out again), the paper's two findings as numbers (at fixed C, S* rises with N
// toward 1; at fixed N, S* falls as C grows), and `moelaw optimal --law sparsity` end to end.
#include <cmath>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "analysis/sparsity_optimal.hpp"
#include "fit_test_support.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_optimal_sparsity)

using namespace moelaw::analysis;
using namespace moelaw::testing;

namespace {

const Coefficients kPublished = {{"alpha", 0.5962}, {"beta", 0.3954}, {"lambda", -0.1666}, {"delta", 0.1603},
                                 {"gamma", 0.1595}, {"a", 16612.50},  {"b", 5455.67},      {"c", 0.4598},
                                 {"d", 17.26},      {"e", 0.94}};

// The published law and shape rule, written out here: N_total = 2dV + (4 + 9E)·(d/64)·d²,
// N_act = 2dV + 13·(d/64)·d², E = 1/(1 − S).
double reference_loss(double n, double s, double budget) {
  const double v = 50257, e = 1 / (1 - s);
  double lo = 0, hi = 1e6;
  for (int i = 0; i < 200; ++i) {
    double d = (lo + hi) / 2;
    (2 * d * v + (4 + 9 * e) * d * d * d / 64 < n ? lo : hi) = d;
  }
  const double d = lo, n_act = 2 * d * v + 13 * d * d * d / 64, tokens = budget / (6 * n_act);
  return 16612.50 / std::pow(n, 0.5962) + 5455.67 / std::pow(tokens, 0.3954) + 0.4598 / std::pow(1 - s, -0.1666) +
         17.26 / (std::pow(1 - s, 0.1603) * std::pow(n, 0.1595)) + 0.94;
}

}  // namespace

BOOST_AUTO_TEST_CASE(optimal_sparsity_matches_a_scan) {
  SparsityLaw5 law = SparsityLaw5::from(kPublished);
  for (double budget : {1e20, 1e22})
    for (double n : {1e9, 1e10}) {
      SparseModel m = optimal_sparsity(law, budget, n);
      double best = INFINITY, best_s = 0;
      for (double ln_e = 0; ln_e <= std::log(4096.0); ln_e += 1e-3) {
        double s = 1 - std::exp(-ln_e), l = reference_loss(n, s, budget);
        if (l < best) best = l, best_s = s;
      }
      BOOST_TEST_MESSAGE("C=" << budget << " N=" << n << ": S*=" << m.sparsity << " (scan " << best_s << "), loss "
                              << m.loss << " (scan " << best << ")");
      BOOST_CHECK_CLOSE(m.loss, best, 1e-6);
      BOOST_TEST(std::abs(std::log(1 - m.sparsity) - std::log(1 - best_s)) < 2e-3);
      BOOST_CHECK_CLOSE(6 * m.n_act * m.tokens, budget, 1e-9);
    }
}

BOOST_AUTO_TEST_CASE(the_papers_findings) {
  SparsityLaw5 law = SparsityLaw5::from(kPublished);
  // At fixed C, S* rises with the total size, toward 1.
  double previous = -1;
  for (double n : {1e8, 1e9, 1e10, 1e11}) {
    double s = optimal_sparsity(law, 1e21, n).sparsity;
    BOOST_TEST(s > previous, "C=1e21, N=" << n << ": S*=" << s << " after " << previous);
    previous = s;
  }
  BOOST_TEST(previous > 0.95);
  // At fixed N, S* falls as the budget grows.
  previous = 2;
  for (double budget : {1e19, 1e20, 1e21, 1e22, 1e23}) {
    double s = optimal_sparsity(law, budget, 1e10).sparsity;
    BOOST_TEST(s < previous, "N=1e10, C=" << budget << ": S*=" << s << " after " << previous);
    previous = s;
  }
  // And a sparse model beats the dense one at the same budget, compute-optimally sized.
  double dense = compute_optimal_at_sparsity(law, 1e21, 0).loss, sparse = compute_optimal_at_sparsity(law, 1e21, 0.96875).loss;
  BOOST_TEST(sparse < dense);
}

BOOST_AUTO_TEST_CASE(command_prints_both_tables) {
  std::string json = "{\"law\": \"sparsity\", \"coefficients\": {";
  for (size_t i = 0; i < kPublished.size(); ++i)
    json += (i ? ", \"" : "\"") + kPublished[i].first + "\": " + std::to_string(kPublished[i].second);
  TempFile coeffs(json + "}}", ".json");
  auto r = run_command(moelaw_command("optimal --law sparsity --coeffs " + coeffs.path +
                                      " --json --budgets 1e20,1e22 --totals 1e9,1e10 --sparsities 0,0.75"));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["optimal_sparsity"].size() == 4u);
  BOOST_TEST(j["compute_optimal"].size() == 4u);
  BOOST_CHECK_CLOSE(j["compute_optimal"][1]["experts"].get<double>(), 4.0, 1e-9);
  r = run_command(moelaw_command("optimal --law sparsity --coeffs " + coeffs.path));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  BOOST_TEST(r.out.find("## Optimal sparsity S* at fixed budget and total N") != std::string::npos);
  r = run_command(moelaw_command("optimal --law sparsity --coeffs " + coeffs.path + " --sparsities 1"));
  BOOST_TEST(r.status == 2);
  TempFile joint(PublishedJoint().json(), ".json");
  r = run_command(moelaw_command("optimal --law sparsity --coeffs " + joint.path));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("not sparsity") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
