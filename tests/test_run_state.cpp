// run_status and the experiment status against hand-made experiment directories: real files
// (summary.json, metrics.h5, job and exit records) for every state, each expected state and
// detail worked out by hand from the rules in launcher/run_state.hpp; and the SLURM executor's
// choice of a run's newest job among squeue's lines.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "common/errors.hpp"
#include "launcher/experiment_status.hpp"
#include "launcher/run_state.hpp"
#include "launcher/slurm_executor.hpp"
#include "support/tiny_run.hpp"
#include "train/metrics_log.hpp"

BOOST_AUTO_TEST_SUITE(test_run_state)

namespace fs = std::filesystem;
using namespace moelaw::launcher;
using moelaw::testing::TempDir;

namespace {

nlohmann::json planned(const std::string& name, int64_t target, int64_t start = 0) {
  return {{"name", name}, {"role", start ? "cooldown" : "trunk"}, {"target_tokens", target},
          {"start_tokens", start}, {"init_from", start ? nlohmann::json("t") : nlohmann::json(nullptr)}};
}

}  // namespace

// Not file-local: the test cases derive from it (a base in an anonymous namespace warns once
// the file is part of a unity-built test program).
struct Fixture {
  TempDir tmp;
  ExperimentDir dir{tmp / "exp"};
  Fixture() { dir.create(); }

  void summary(const std::string& run, bool complete, int64_t tokens, double loss) {
    fs::create_directories(dir.run_dir(run));
    std::ofstream(dir.run_dir(run) + "/summary.json")
        << nlohmann::json{{"complete", complete}, {"tokens", tokens}, {"final_loss", loss}}.dump();
  }
  void metrics(const std::string& run, int64_t tokens, double loss) {
    fs::create_directories(dir.run_dir(run));
    moelaw::train::MetricsLog log;
    log.steps.push_back({1, tokens / 2, 9.0, 0.01, 1, 1});
    log.steps.push_back({2, tokens, loss, 0.01, 1, 1});
    log.save(dir.run_dir(run) + "/metrics.h5");
  }
  void record(const std::string& run, const nlohmann::json& r) { std::ofstream(dir.record_path(run)) << r.dump(); }
  void exit_record(const std::string& run, const std::string& text) { std::ofstream(dir.exit_path(run)) << text; }
};

ExecutorJob job(const std::string& id, const std::string& state, bool active, bool running,
                const std::string& reason = "None") {
  return {id, state, reason, "", active, running};
}


BOOST_FIXTURE_TEST_CASE(never_submitted_is_planned, Fixture) {
  auto s = run_status(dir, planned("a", 1024), {});
  BOOST_TEST(state_name(s.state) == std::string("planned"));
  BOOST_TEST(s.tokens_done == 0);
  BOOST_TEST(s.job_id.empty());
  BOOST_TEST(!s.last_loss);
}

BOOST_FIXTURE_TEST_CASE(complete_to_its_target_is_done, Fixture) {
  metrics("a", 1000, 4.5);  // the metrics' last step lags the summary: the summary's tokens win
  summary("a", true, 1024, 4.25);
  auto s = run_status(dir, planned("a", 1024), {{"a", job("7", "RUNNING", true, true)}});
  BOOST_TEST(state_name(s.state) == std::string("done"));
  BOOST_TEST(s.tokens_done == 1024);
  BOOST_TEST(*s.final_loss == 4.25);
  BOOST_TEST(*s.last_loss == 4.5);
}

BOOST_FIXTURE_TEST_CASE(complete_short_of_a_longer_plan_is_planned_to_be_extended, Fixture) {
  summary("a", true, 512, 5.0);
  record("a", {{"executor", "local"}, {"job_id", "local"}});
  exit_record("a", "0 local\n");
  auto s = run_status(dir, planned("a", 1024), {});
  BOOST_TEST(state_name(s.state) == std::string("planned"));
  BOOST_TEST(s.detail == "complete at 512 tokens, to be extended");
  BOOST_TEST(s.tokens_done == 512);
}

BOOST_FIXTURE_TEST_CASE(an_active_job_is_queued_or_running_and_its_id_wins, Fixture) {
  metrics("a", 256, 6.0);
  record("a", {{"executor", "slurm"}, {"job_id", "11"}});
  auto queued = run_status(dir, planned("a", 1024), {{"a", job("12", "PENDING", true, false, "Priority")}});
  BOOST_TEST(state_name(queued.state) == std::string("queued"));
  BOOST_TEST(queued.job_id == "12");  // the scheduler's job, not the record's older one
  BOOST_TEST(queued.detail == "Priority");
  BOOST_TEST(queued.tokens_done == 256);
  BOOST_TEST(*queued.last_loss == 6.0);
  auto running = run_status(dir, planned("a", 1024), {{"a", job("12", "RUNNING", true, true)}});
  BOOST_TEST(state_name(running.state) == std::string("running"));
  BOOST_TEST(running.detail == "");  // reason "None" says nothing
  // Requeued after a checkpoint (exit 75 of this very job): preempted, waiting to come back.
  exit_record("a", "75 12\n");
  auto requeued = run_status(dir, planned("a", 1024), {{"a", job("12", "PENDING", true, false, "BeginTime")}});
  BOOST_TEST(state_name(requeued.state) == std::string("preempted"));
}

BOOST_FIXTURE_TEST_CASE(the_exit_record_of_the_current_job_tells_preempted_from_failed, Fixture) {
  record("a", {{"executor", "slurm"}, {"job_id", "12"}});
  exit_record("a", "75 12\n");
  BOOST_TEST(state_name(run_status(dir, planned("a", 1024), {}).state) == std::string("preempted"));
  exit_record("a", "2 12\n");
  auto failed = run_status(dir, planned("a", 1024), {});
  BOOST_TEST(state_name(failed.state) == std::string("failed"));
  BOOST_TEST(failed.detail == "exit status 2");
  // An exit record of an earlier job says nothing of job 12, which is gone from the scheduler.
  exit_record("a", "75 11\n");
  auto gone = run_status(dir, planned("a", 1024), {});
  BOOST_TEST(state_name(gone.state) == std::string("failed"));
  BOOST_TEST(gone.detail == "job 12 ended without finishing");
  auto cancelled = run_status(dir, planned("a", 1024), {{"a", job("12", "CANCELLED", false, false)}});
  BOOST_TEST(cancelled.detail == "job 12 CANCELLED");
}

BOOST_FIXTURE_TEST_CASE(slurm_jobs_are_matched_by_name_newest_first, Fixture) {
  const std::string name = dir.job_name("a");
  std::vector<SlurmJob> lines = {{"9", name, "COMPLETED", "None", ""},
                                 {"12", name, "PENDING", "Dependency", "afterok:10(unfulfilled)"},
                                 {"10", name, "RUNNING", "None", ""},
                                 {"13", ExperimentDir(tmp / "other").job_name("a"), "RUNNING", "None", ""},
                                 {"14", dir.job_name("b"), "COMPLETED", "None", ""}};
  auto jobs = jobs_by_run(dir, {"a", "b"}, lines);
  BOOST_REQUIRE(jobs.count("a"));
  BOOST_TEST(jobs["a"].id == "12");  // not 13: another experiment directory's job of the same run
  BOOST_TEST(jobs["a"].active);
  BOOST_TEST(!jobs["a"].running);
  BOOST_TEST(jobs["a"].dependency == "afterok:10(unfulfilled)");
  BOOST_TEST(jobs["b"].id == "14");
  BOOST_TEST(!jobs["b"].active);
}

BOOST_FIXTURE_TEST_CASE(experiment_status_totals_count_each_run_from_its_start, Fixture) {
  // A trunk done to 800 tokens, a cooldown from 800 to 1000 preempted at 900 (metrics), a
  // cooldown from 400 to 500 never started.
  summary("t", true, 800, 5.0);
  metrics("c1", 900, 4.0);
  record("c1", {{"executor", "local"}, {"job_id", "local"}});
  exit_record("c1", "75 local\n");
  nlohmann::json plan = {{"experiment", "e"},
                         {"runs", {planned("t", 800), planned("c1", 1000, 800), planned("c2", 500, 400)}}};
  std::ofstream(dir.plan_path()) << plan.dump();
  auto s = experiment_status(dir);
  BOOST_TEST(s.experiment == "e");
  BOOST_REQUIRE(s.runs.size() == 3u);
  BOOST_TEST(s.totals["done"] == 1);
  BOOST_TEST(s.totals["preempted"] == 1);
  BOOST_TEST(s.totals["planned"] == 1);
  BOOST_TEST(s.tokens_planned == 800 + 200 + 100);
  BOOST_TEST(s.tokens_done == 800 + 100 + 0);
  BOOST_TEST(s.note.empty());  // the local executor is always reachable
  BOOST_CHECK_THROW(experiment_status(ExperimentDir(tmp / "nowhere")), moelaw::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
