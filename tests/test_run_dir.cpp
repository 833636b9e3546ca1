// Run directories: metrics round trip through HDF5, resume truncation, checkpoint listing,
// atomic summary, and `moelaw runinfo --json` with full-precision numbers.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "support/run_command.hpp"
#include "train/metrics_log.hpp"
#include "train/run_dir.hpp"

BOOST_AUTO_TEST_SUITE(test_run_dir)

namespace fs = std::filesystem;
using namespace moelaw::train;

namespace {
struct TempRun {
  fs::path path;
  TempRun() {
    char t[] = "/tmp/moelaw-run-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempRun() { fs::remove_all(path); }
};

MetricsLog sample_log() {
  MetricsLog log;
  for (int64_t s = 1; s <= 5; ++s)
    log.steps.push_back({s, s * 4096, 10.0 / static_cast<double>(s) + 0.1234567890123456789, 1e-3, 0.5, 1e4});
  log.evals = {{2, 8192, 6.1}, {5, 20480, 4.0000000000000009}};
  log.series["moe/dropped_fraction/0"] = {0.1, 0.2, 0.3, 0.4, 0.5};
  return log;
}
}  // namespace

BOOST_AUTO_TEST_CASE(metrics_round_trip_and_truncate) {
  TempRun dir;
  RunDir run(dir.path.string());
  run.create();
  auto log = sample_log();
  log.save(run.metrics_path());
  auto back = MetricsLog::load(run.metrics_path());
  BOOST_TEST_REQUIRE(back.steps.size() == 5u);
  BOOST_TEST(back.steps[2].loss == log.steps[2].loss);  // bit-exact
  BOOST_TEST(back.steps[4].tokens == 20480);
  BOOST_TEST(back.evals[1].loss == 4.0000000000000009);
  BOOST_TEST(back.series.at("moe/dropped_fraction/0")[3] == 0.4);
  back.truncate_after(3);
  BOOST_TEST(back.steps.size() == 3u);
  BOOST_TEST(back.evals.size() == 1u);
  BOOST_TEST(back.series.at("moe/dropped_fraction/0").size() == 3u);
  BOOST_TEST(MetricsLog::load((dir.path / "missing.h5").string()).steps.empty());
}

BOOST_AUTO_TEST_CASE(checkpoint_names_and_order) {
  TempRun dir;
  RunDir run(dir.path.string());
  run.create();
  BOOST_TEST(run.checkpoint_path(120) == dir.path.string() + "/checkpoints/step-00000120.h5");
  for (int64_t s : {30, 5, 120}) std::ofstream(run.checkpoint_path(s)) << "x";
  std::ofstream(run.checkpoint_dir() + "/.step-00000200.h5.tmp-1") << "partial";
  std::ofstream(run.checkpoint_dir() + "/notes.txt") << "n";
  auto list = run.checkpoints();
  BOOST_TEST_REQUIRE(list.size() == 3u);
  BOOST_TEST(checkpoint_step(list[0]) == 5);
  BOOST_TEST(checkpoint_step(list[2]) == 120);
  BOOST_TEST(checkpoint_step("step-12a.h5") == -1);
}

BOOST_AUTO_TEST_CASE(summary_marks_completion) {
  TempRun dir;
  RunDir run(dir.path.string());
  BOOST_TEST(!run.complete());
  moelaw::write_file_atomically(run.summary_path(), {R"({"complete": true, "final_loss": 3.5})"});
  BOOST_TEST(run.complete());
  BOOST_TEST(run.summary()->final_loss == 3.5);
}

BOOST_AUTO_TEST_CASE(runinfo_json) {
  TempRun dir;
  RunDir run(dir.path.string());
  run.create();
  sample_log().save(run.metrics_path());
  auto r = moelaw::testing::run_command(moelaw::testing::moelaw_command("runinfo --json " + run.path()));
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["steps"].get<int64_t>() == 5);
  BOOST_TEST(j["tokens"].get<int64_t>() == 20480);
  BOOST_TEST(j["train_loss"].size() == 5u);
  BOOST_TEST(j["train_loss"][1].get<double>() == sample_log().steps[1].loss);  // every digit
  BOOST_TEST(j["final_eval_loss"].get<double>() == 4.0000000000000009);
  BOOST_TEST(j["eval_loss"][0]["step"].get<int64_t>() == 2);
  BOOST_TEST(j["complete"].get<bool>() == false);
  BOOST_TEST(moelaw::testing::run_command(moelaw::testing::moelaw_command("runinfo /nonexistent")).status == 2);
}

BOOST_AUTO_TEST_SUITE_END()
