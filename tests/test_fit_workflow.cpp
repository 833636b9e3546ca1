// The fitting workflow of analysis/fit_workflow without the command: noiseless Chinchilla runs
// written as a real CSV file from coefficients chosen here, fitted back per `--by` group, with a
// held-out split, --n-column and the files it writes read back.
#include <cmath>
#include <filesystem>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "analysis/fit_workflow.hpp"
#include "common/errors.hpp"
#include "fit_test_support.hpp"

BOOST_AUTO_TEST_SUITE(test_fit_workflow)

using namespace moelaw::analysis;
using moelaw::testing::TempFile;

namespace {

// Two Chinchilla laws, one per value of `experts`; n_act holds junk (the true N is in n_true).
struct Truth {
  double A, B, E, alpha, beta;
  double loss(double n, double d) const { return E + A * std::pow(n, -alpha) + B * std::pow(d, -beta); }
};
const Truth kTruth[2] = {{400, 2000, 1.8, 0.34, 0.37}, {300, 2500, 1.6, 0.30, 0.35}};

std::string table_text() {
  std::ostringstream csv;
  csv.precision(17);
  csv << "run_id,n_act,n_true,tokens,experts,final_loss\n";
  int id = 0;
  for (int g = 0; g < 2; ++g)
    for (double n : {5e7, 1e8, 2e8, 4e8, 8e8, 1.6e9})
      for (double ratio : {5, 10, 20, 40, 80})
        csv << "r" << id++ << "," << 7 << "," << n << "," << n * ratio << "," << (g ? 8 : 1) << ","
            << kTruth[g].loss(n, n * ratio) << "\n";
  return csv.str();
}

double coefficient(const Coefficients& c, const std::string& name) {
  for (const auto& [n, v] : c)
    if (n == name) return v;
  BOOST_FAIL("no coefficient " + name);
  return 0;
}

FitRequest request() {
  FitRequest r;
  r.law = "chinchilla";
  r.n_column = "n_true";
  r.init_grid = "ln_A=5;ln_B=5,10;ln_E=0;alpha=0.5;beta=0.5";
  r.options.huber_delta = -1;  // the law's default
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(fits_each_group_back) {
  TempFile file(table_text());
  FitRequest r = request();
  r.by = "experts";
  r.holdout = "lowest-loss:4";
  FitOutcome o = run_fit(read_runs_csv(file.path), r);
  BOOST_REQUIRE_EQUAL(o.reports.size(), 2u);
  size_t held = 0;
  for (int g = 0; g < 2; ++g) {
    const FitReport& rep = o.reports[g];
    BOOST_TEST(rep.group == (g ? "experts=8" : "experts=1"));
    BOOST_TEST(rep.huber_delta == 1e-3);
    BOOST_TEST(rep.starts == 2u);
    BOOST_CHECK_CLOSE(coefficient(rep.coefficients, "A"), kTruth[g].A, 0.1);
    BOOST_CHECK_CLOSE(coefficient(rep.coefficients, "B"), kTruth[g].B, 0.1);
    BOOST_CHECK_CLOSE(coefficient(rep.coefficients, "E"), kTruth[g].E, 0.01);
    BOOST_CHECK_CLOSE(coefficient(rep.coefficients, "alpha"), kTruth[g].alpha, 0.01);
    BOOST_CHECK_CLOSE(coefficient(rep.coefficients, "beta"), kTruth[g].beta, 0.01);
    BOOST_TEST(rep.rmse_train < 1e-6);
    BOOST_TEST(rep.n_train + rep.n_holdout == 30u);
    held += rep.n_holdout;
  }
  BOOST_TEST(held == 4u);  // the four lowest losses of the whole table, wherever they fall
  auto j = fit_outcome_json(o);
  BOOST_TEST(j["by"] == "experts");
  BOOST_TEST(j["fits"].size() == 2u);
  BOOST_TEST(fit_outcome_text(o).find("law chinchilla (experts=8): ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(writes_files_that_read_back) {
  TempFile file(table_text());
  FitRequest r = request();
  r.holdout = "experts=8";
  FitOutcome o = run_fit(read_runs_csv(file.path), r);
  BOOST_REQUIRE_EQUAL(o.reports.size(), 1u);
  BOOST_TEST(o.reports[0].n_holdout == 30u);
  BOOST_CHECK_CLOSE(coefficient(o.reports[0].coefficients, "alpha"), kTruth[0].alpha, 0.01);
  BOOST_TEST(o.reports[0].rmse_holdout > 0.01);  // the other law's runs are not predicted
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("moelaw-fit-workflow-" + std::to_string(::getpid()));
  write_fit_files(dir.string(), o);
  for (const char* f : {"coefficients.json", "coefficients.toml", "table.md", "table.tex"})
    BOOST_TEST(fs::exists(dir / f), f);
  for (const char* f : {"coefficients.json", "coefficients.toml"}) {
    FitReport back = read_coefficients((dir / f).string());
    BOOST_TEST(back.law == "chinchilla");
    BOOST_CHECK_CLOSE(coefficient(back.coefficients, "beta"), kTruth[0].beta, 0.01);
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(bad_requests_name_what_is_wrong) {
  TempFile file(table_text());
  FitRequest r = request();
  r.n_column = "n_missing";
  try {
    run_fit(read_runs_csv(file.path), r);
    BOOST_FAIL("expected a UsageError");
  } catch (const moelaw::UsageError& e) {
    BOOST_TEST(std::string(e.what()).find("--n-column: no column 'n_missing'") != std::string::npos, e.what());
  }
  r = request();
  r.by = "tokens";  // two to four runs per token count: fewer than the law's parameters
  BOOST_CHECK_THROW(run_fit(read_runs_csv(file.path), r), moelaw::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
