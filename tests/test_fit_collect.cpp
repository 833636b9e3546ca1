// `moelaw collect`: complete runs become rows (extra summary keys kept as columns), incomplete
// and unreadable ones are listed on stderr.
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "analysis/runs_table.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_fit_collect)

BOOST_AUTO_TEST_CASE(collects_complete_and_lists_the_rest) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("moelaw-collect-" + std::to_string(::getpid()));
  fs::create_directories(root / "grid/a");
  fs::create_directories(root / "grid/b");
  fs::create_directories(root / "grid/c/checkpoints");
  fs::create_directories(root / "grid/d");
  std::ofstream(root / "grid/a/summary.json")
      << R"({"run_id":"a","n_act":1e8,"n_total":2e8,"n_act_nonembedding":5e7,"tokens":2e9,"experts":4,)"
         R"("top_k":1,"granularity":1,"lr":0.001,"seed":0,"final_loss":3.2,"complete":true,"init_from":null,"eval_tokens":1e6})";
  std::ofstream(root / "grid/b/summary.json") << R"({"run_id":"b","complete":false})";
  std::ofstream(root / "grid/d/summary.json") << "{not json";
  std::string csv = (root / "runs.csv").string();
  auto r = moelaw::testing::run_command(moelaw::testing::moelaw_command("collect " + root.string() + "/grid --out " + csv));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  auto t = moelaw::analysis::read_runs_csv(csv);
  BOOST_REQUIRE_EQUAL(t.rows.size(), 1u);
  BOOST_CHECK_EQUAL(t.numbers("final_loss")[0], 3.2);
  BOOST_CHECK_EQUAL(t.numbers("eval_tokens")[0], 1e6);
  BOOST_CHECK(t.column_index("n_act_nonembedding") >= 0);
  BOOST_CHECK(r.err.find("grid/b") != std::string::npos);
  BOOST_CHECK(r.err.find("grid/c") != std::string::npos);
  BOOST_CHECK(r.err.find("grid/d") != std::string::npos);
  fs::remove_all(root);
}

BOOST_AUTO_TEST_SUITE_END()
