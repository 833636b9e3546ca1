// The collection workflow (analysis/collect.hpp) on hand-made run directories: which directories
// are runs, why each one left out is left out, and the exact CSV text, written out by hand.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "analysis/collect.hpp"
#include "common/errors.hpp"
#include "support/tiny_run.hpp"

BOOST_AUTO_TEST_SUITE(test_collect)

namespace fs = std::filesystem;
using namespace moelaw::analysis;
using moelaw::testing::TempDir;

namespace {

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(runs_are_found_sorted_and_the_rest_is_said_why) {
  TempDir tmp;
  const std::string g = tmp / "grid";
  write(g + "/b/summary.json",
        R"({"run_id":"b","n_act":1e8,"tokens":2000000000,"lr":0.001,"final_loss":3.25,"complete":true,)"
        R"("init_from":"/r/t, \"x\"","zeta":1})");
  write(g + "/a/summary.json", R"({"run_id":"a","final_loss":3.5,"complete":true,"alpha":"q"})");
  write(g + "/trunk/summary.json", R"({"run_id":"t","complete":true,"decay_fraction":0})");
  write(g + "/half/summary.json", R"({"run_id":"h","complete":false})");
  write(g + "/torn/summary.json", "{not json");
  write(g + "/started/metrics.h5", "");
  fs::create_directories(g + "/ckpt/checkpoints");
  write(g + "/experiment/config.toml", "");  // a configuration alone is not a run

  auto runs = collect_runs({g});
  BOOST_REQUIRE(runs.complete.size() == 2u);
  BOOST_TEST(runs.complete[0].first == g + "/a");
  BOOST_TEST(runs.complete[1].first == g + "/b");
  BOOST_REQUIRE(runs.not_collected.size() == 5u);
  BOOST_TEST(runs.not_collected[0] == g + "/ckpt: no summary.json (not finished)");
  BOOST_TEST(runs.not_collected[1] == g + "/half: summary.json does not say complete");
  BOOST_TEST(runs.not_collected[2] == g + "/started: no summary.json (not finished)");
  BOOST_TEST(runs.not_collected[3].rfind(g + "/torn: unreadable summary.json (", 0) == 0);
  BOOST_TEST(runs.not_collected[4] ==
             g + "/trunk: constant-LR trunk (train.decay_fraction = 0), not a finished schedule");

  // The fit columns first, then the other keys sorted, then run_dir; empty cells for absent keys;
  // a cell with a comma or a quote quoted, its quotes doubled.
  BOOST_TEST(runs_table_csv(runs) ==
             "run_id,n_act,n_total,n_act_nonembedding,tokens,experts,top_k,granularity,lr,seed,final_loss,init_from,"
             "alpha,zeta,run_dir\n"
             "a,,,,,,,,,,3.5,,q,," + g + "/a\n"
             "b,100000000.0,,,2000000000,,,,0.001,,3.25,\"/r/t, \"\"x\"\"\",,1," + g + "/b\n");

  write_runs_table(tmp / "runs.csv", runs);
  std::ifstream in(tmp / "runs.csv");
  std::stringstream text;
  text << in.rdbuf();
  BOOST_TEST(text.str() == runs_table_csv(runs));
  BOOST_CHECK_THROW(write_runs_table(g, runs), moelaw::UsageError);  // a directory
  BOOST_CHECK_THROW(write_runs_table(tmp / "no/such/dir/runs.csv", runs), moelaw::UsageError);
  BOOST_CHECK_THROW(collect_runs({tmp / "missing"}), moelaw::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
