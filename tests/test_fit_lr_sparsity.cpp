// The LR law fitted back from synthetic sweeps, and the sparsity law's published coefficients
// (DESIGN.md) as a test vector: generate, fit back.
#include <cmath>
#include <random>
#include <sstream>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "analysis/fit.hpp"
#include "analysis/law_spec.hpp"
#include "fit_test_support.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_fit_lr_sparsity)

using namespace moelaw::testing;

namespace {
std::string cli(const std::string& args) { return moelaw::testing::moelaw_command(args); }
}  // namespace

BOOST_AUTO_TEST_CASE(lr_law_from_sweeps) {
  // Sweeps on a fixed grid of LRs (factor √2 apart, as a user would run them), so the optimum
  // falls between grid points; loss is a parabola in ln LR around the law's LR* plus a small
  // cubic asymmetry and noise.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1e-4);
  std::ostringstream csv;
  csv.precision(17);
  csv << "run_id,n_act_nonembedding,experts,lr,final_loss\n";
  int id = 0;
  for (double n : {2e7, 6e7, 2e8, 6e8, 2e9})
    for (double e : {1, 4, 16, 64}) {
      double best = 8.39 - 0.81 * std::log(n) - 0.25 * std::log(e);
      for (int k = -40; k <= 0; ++k) {
        double u = k * 0.5 * std::log(2.0);
        if (std::abs(u - best) > 1.6) continue;
        double x = u - best;
        csv << "s" << id++ << "," << n << "," << e << "," << std::exp(u) << ","
            << 3.0 + 0.05 * x * x + 0.002 * x * x * x + noise(rng) << "\n";
      }
    }
  TempFile table(csv.str());
  auto r = run_command(cli("fit " + table.path + " --law lr --json"));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST_MESSAGE("LR law: " << j["coefficients"].dump());
  BOOST_CHECK_SMALL(j["coefficients"]["c0"].get<double>() - 8.39, 0.1);
  BOOST_CHECK_SMALL(j["coefficients"]["c1"].get<double>() + 0.81, 0.005);
  BOOST_CHECK_SMALL(j["coefficients"]["c2"].get<double>() + 0.25, 0.005);
  BOOST_CHECK_EQUAL(j["sweeps"].size(), 20u);
  BOOST_CHECK_LT((j["rmse_train"].get<double>()), 0.02);
}

BOOST_AUTO_TEST_CASE(sparsity_law_test_vector) {
  using namespace moelaw::analysis;
  const LawSpec& law = law_spec("sparsity");
  std::vector<double> truth = law.from_coefficients({{"alpha", 0.5962}, {"beta", 0.3954}, {"lambda", -0.1666},
                                                     {"delta", 0.1603}, {"gamma", 0.1595}, {"a", 16612.50},
                                                     {"b", 5455.67}, {"c", 0.4598}, {"d", 17.26}, {"e", 0.94}});
  // Models of the shape rule with E experts, top-1: S = (E−1)/E; N = N_total.
  std::ostringstream csv;
  csv.precision(17);
  csv << "run_id,n_total,tokens,experts,top_k,final_loss\n";
  int id = 0;
  for (double d : {512, 768, 1024, 1536, 2048})
    for (double e : {1, 2, 4, 8, 16, 32, 64})
      for (double tokens : {2e9, 8e9, 3e10, 1e11}) {
        double n_total = 2 * d * 50257 + (4 + 9 * e) * (d / 64) * d * d;
        double x[3] = {std::log(n_total), std::log(tokens), std::log(1 / e)};
        csv << "r" << id++ << "," << n_total << "," << tokens << "," << e << ",1,"
            << std::exp(law.predict_ln(truth.data(), x)) << "\n";
      }
  TempFile table(csv.str());
  // A reduced grid around the default's middle (the full grid has 437,400 starts), E = 64 held out.
  auto r = run_command(cli("fit " + table.path + " --law sparsity --json --holdout experts=64 --init-grid "
                           "'ln_a=10;ln_b=10;ln_c=0;ln_d=0,10;ln_e=0;alpha=0.5;beta=0.5;gamma=0,0.25;lambda=0;delta=0'"));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST_MESSAGE("sparsity law: " << j.dump());
  auto c = j["coefficients"];
  BOOST_CHECK_CLOSE(c["alpha"].get<double>(), 0.5962, 1.0);
  BOOST_CHECK_CLOSE(c["beta"].get<double>(), 0.3954, 1.0);
  BOOST_CHECK_CLOSE(c["lambda"].get<double>(), -0.1666, 1.0);
  BOOST_CHECK_CLOSE(c["delta"].get<double>(), 0.1603, 1.0);
  BOOST_CHECK_CLOSE(c["gamma"].get<double>(), 0.1595, 1.0);
  BOOST_CHECK_CLOSE(c["e"].get<double>(), 0.94, 1.0);
  BOOST_CHECK_LT((j["rmse_holdout"].get<double>()), 1e-4);
  BOOST_CHECK_EQUAL(j["n_holdout"].get<int>(), 20);
}

BOOST_AUTO_TEST_SUITE_END()
