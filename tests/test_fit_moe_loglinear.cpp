// The MoE law with the ln N·ln E interaction, L = (A/N^α + B/E^β + C/D^γ + F)·exp(d·ln N·ln E),
// from a coefficient vector chosen here: synthetic runs on a grid of models, experts and lengths
// with 0.2% log-normal noise, fitted back through `moelaw fit --law moe-loglinear`; the fitted
// law must predict the true one outside the grid and recover the interaction's sign and size.
#include <cmath>
#include <random>
#include <sstream>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "fit_test_support.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_fit_moe_loglinear)

using namespace moelaw::testing;

namespace {

struct Truth {
  double A = 420, alpha = 0.34, B = 0.45, beta = 0.35, C = 1100, gamma = 0.29, F = 1.6, d = -0.0012;
  double loss(double n, double tokens, double e) const {
    return (A / std::pow(n, alpha) + B / std::pow(e, beta) + C / std::pow(tokens, gamma) + F) *
           std::exp(d * std::log(n) * std::log(e));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(fits_back_and_extrapolates) {
  Truth truth;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.002);
  std::ostringstream csv;
  csv.precision(17);
  csv << "run_id,n_act,tokens,experts,final_loss\n";
  int id = 0;
  for (double n : {5e7, 1e8, 2e8, 4e8, 8e8, 1.6e9})
    for (double e : {1, 2, 4, 8, 16, 32, 64})
      for (double ratio : {5, 20, 80}) {
        double tokens = ratio * n;
        csv << "r" << id++ << "," << n << "," << tokens << "," << e << ","
            << truth.loss(n, tokens, e) * std::exp(noise(rng)) << "\n";
      }
  TempFile table(csv.str());
  // A reduced grid of starts (the default is the law's published 810,000-point grid).
  auto r = run_command(moelaw_command("fit " + table.path + " --law moe-loglinear --json --init-grid "
                                      "'ln_A=5;ln_B=0;ln_C=5,10;ln_F=0,0.5;alpha=0.5;beta=0.5;gamma=0.5;d=0'"));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["law"] == "moe-loglinear");
  BOOST_TEST(j["rmse_train"].get<double>() < 0.003);
  auto c = j["coefficients"];
  BOOST_TEST_MESSAGE("fitted: " << c.dump());
  Truth fitted{c["A"], c["alpha"], c["B"], c["beta"], c["C"], c["gamma"], c["F"], c["d"]};
  BOOST_TEST(std::abs(fitted.d - truth.d) < 0.0008, "d = " << fitted.d);
  // Four times the largest model, and 128 experts.
  for (double n : {6.4e9})
    for (double ratio : {20.0, 100.0})
      for (double e : {1.0, 8.0, 128.0}) {
        double want = truth.loss(n, ratio * n, e), got = fitted.loss(n, ratio * n, e);
        BOOST_TEST(std::abs(got - want) / want < 0.01, "N=" << n << " D/N=" << ratio << " E=" << e << ": fitted "
                                                              << got << ", true " << want);
      }
}

BOOST_AUTO_TEST_SUITE_END()
