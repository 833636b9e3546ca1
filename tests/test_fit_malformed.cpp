// Malformed runs tables: a clear error naming the row and column, exit status 2.
#include <boost/test/unit_test.hpp>

#include "fit_test_support.hpp"
#include "support/process.hpp"
#include "support/run_command.hpp"

#include <signal.h>

#include <cmath>

BOOST_AUTO_TEST_SUITE(test_fit_malformed)

using namespace moelaw::testing;

namespace {

std::string cli(const std::string& args) { return moelaw::testing::moelaw_command(args); }

// 12 well-formed chinchilla rows (more than its 5 parameters), with `bad` replacing row 3.
std::string table(const std::string& header, const std::string& bad = "") {
  std::string s = header + "\n";
  for (int i = 0; i < 12; ++i) {
    if (i == 2 && !bad.empty()) s += bad + "\n";
    else s += std::string("r").append(std::to_string(i)).append(",").append(std::to_string(1e8 * (i + 1))).append(",2e10,3.1\n");
  }
  return s;
}

void expect_usage_error(const std::string& csv, const std::vector<std::string>& mentions,
                        const std::string& law = "chinchilla") {
  TempFile t(csv);
  auto r = run_command(cli("fit " + t.path + " --law " + law + " --init-grid 'ln_A=5;ln_B=5'"));
  BOOST_CHECK_EQUAL(r.status, 2);
  for (const auto& m : mentions) BOOST_CHECK_MESSAGE(r.err.find(m) != std::string::npos, "'" + m + "' not in: " + r.err);
}

}  // namespace

BOOST_AUTO_TEST_CASE(missing_column) {
  expect_usage_error(table("run_id,n_act,tokens,loss"), {"missing column 'final_loss'"});
}

BOOST_AUTO_TEST_CASE(non_positive_value) {
  // Row 3 of the data is line 4 of the file.
  expect_usage_error(table("run_id,n_act,tokens,final_loss", "r2,-5,2e10,3.1"),
                     {":4:", "row 3", "column 'n_act'", "must be positive"});
}

BOOST_AUTO_TEST_CASE(nan_value) {
  expect_usage_error(table("run_id,n_act,tokens,final_loss", "r2,1e8,2e10,nan"),
                     {":4:", "row 3", "column 'final_loss'", "not finite"});
  expect_usage_error(table("run_id,n_act,tokens,final_loss", "r2,1e8,many,3.0"),
                     {":4:", "row 3", "column 'tokens'", "not a number"});
}

BOOST_AUTO_TEST_CASE(too_few_runs) {
  TempFile t("run_id,n_act,tokens,final_loss\nr0,1e8,2e9,3.5\nr1,2e8,2e9,3.3\nr2,4e8,2e9,3.2\n");
  auto r = run_command(cli("fit " + t.path + " --law chinchilla"));
  BOOST_CHECK_EQUAL(r.status, 2);
  BOOST_CHECK_MESSAGE(r.err.find("too few runs") != std::string::npos, r.err);
  auto lr = run_command(cli("fit " + t.path + " --law lr"));
  BOOST_CHECK_EQUAL(lr.status, 2);
  BOOST_CHECK_MESSAGE(lr.err.find("column 'n_act_nonembedding'") != std::string::npos, lr.err);
}

BOOST_AUTO_TEST_CASE(bad_options) {
  TempFile t(table("run_id,n_act,tokens,final_loss"));
  BOOST_CHECK_EQUAL(run_command(cli("fit " + t.path + " --law nonsense")).status, 2);
  BOOST_CHECK_EQUAL(run_command(cli("fit " + t.path + " --law chinchilla --init-grid 'kappa=1'")).status, 2);
  BOOST_CHECK_EQUAL(run_command(cli("fit " + t.path + " --law chinchilla --holdout lowest-loss:x")).status, 2);
  BOOST_CHECK_EQUAL(run_command(cli("fit " + t.path + " --law chinchilla --holdout experts=8")).status, 2);
}

BOOST_AUTO_TEST_CASE(only_plain_decimal_numbers) {
  // strtod would read these as 16, 1 and infinity.
  expect_usage_error(table("run_id,n_act,tokens,final_loss", "r2,0x10,2e10,3.1"),
                     {":4:", "column 'n_act'", "not a number: '0x10'"});
  expect_usage_error(table("run_id,n_act,tokens,final_loss", "r2, 1e8,2e10,3.1"),
                     {":4:", "column 'n_act'", "not a number"});
  expect_usage_error(table("run_id,n_act,tokens,final_loss", "r2,1e8,2e10,infinity"),
                     {":4:", "column 'final_loss'", "not finite"});
  expect_usage_error(table("run_id,n_act,tokens,final_loss", "r2,1e8,2e10,1e999"),
                     {":4:", "column 'final_loss'", "not finite"});
}

BOOST_AUTO_TEST_CASE(duplicated_columns_and_rows) {
  expect_usage_error(table("run_id,n_act,tokens,final_loss,tokens"), {":1:", "column 'tokens' appears twice", "columns 3 and 5"});
  // Row 3 repeats row 1 (line 2) exactly.
  expect_usage_error(table("run_id,n_act,tokens,final_loss", "r0,100000000.000000,2e10,3.1"), {":4:", "duplicates line 2"});
  std::string t = "run_id,n_act,tokens,final_loss,run_dir\n";
  for (int i = 0; i < 12; ++i)
    t += "r" + std::to_string(i) + "," + std::to_string(1e8 * (i + 1)) + ",2e10,3.1," + (i == 5 ? "/x/r1" : "/x/r" + std::to_string(i)) + "\n";
  expect_usage_error(t, {":7:", "column 'run_dir': '/x/r1' is also on line 3"});
}

BOOST_AUTO_TEST_CASE(a_long_fit_prints_progress) {
  // 100,000 runs on Chinchilla's default grid of 4,500 starts takes minutes on two cores; within
  // seconds it must say how far it is. The rows follow L = 1.7 + 400 N^-0.34 + 410 D^-0.28.
  std::string csv = "run_id,n_act,tokens,final_loss\n";
  for (int i = 0; i < 100000; ++i) {
    double n = 1e6 * std::pow(1.0001, i % 50000), d = 1e8 * std::pow(1.00013, (i * 7) % 50000) * (1 + i / 50000);
    double loss = 1.7 + 400 * std::pow(n, -0.34) + 410 * std::pow(d, -0.28);
    csv += "r" + std::to_string(i) + "," + std::to_string(n) + "," + std::to_string(d) + "," + std::to_string(loss) + "\n";
  }
  TempFile t(csv);
  Process p(cli("fit " + t.path + " --law chinchilla") + " 2>&1");
  bool progress = p.wait_for_line(" of up to 4500 L-BFGS starts done, best objective");
  p.signal(SIGKILL);
  p.wait();
  BOOST_TEST(progress, p.output());
}

BOOST_AUTO_TEST_SUITE_END()
