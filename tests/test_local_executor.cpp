// The executor registry, and the local executor's status and cancel on real processes: a
// `moelaw submit --executor local` whose batch script waits (a template that trains nothing) is
// reported running with the job id its records hold; cancel() signals its submitter, the script
// exits 75 as a checkpointed trainer would, and the run is then preempted.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>

#include "common/errors.hpp"
#include "launcher/executor.hpp"
#include "launcher/experiment_status.hpp"
#include "support/own_shards.hpp"
#include "support/process.hpp"
#include "support/tiny_experiment.hpp"

BOOST_AUTO_TEST_SUITE(test_local_executor)

namespace fs = std::filesystem;
using namespace moelaw::launcher;
using namespace moelaw::testing;

BOOST_AUTO_TEST_CASE(executors_are_found_by_name) {
  BOOST_TEST(executor_names() == (std::vector<std::string>{"slurm", "local"}));
  BOOST_TEST(executor_choices() == "slurm or local");
  BOOST_TEST(make_executor("slurm")->name() == std::string("slurm"));
  BOOST_TEST(make_executor("local")->name() == std::string("local"));
  BOOST_CHECK_EXCEPTION(make_executor("pbs"), moelaw::UsageError, [](const moelaw::UsageError& e) {
    return std::string(e.what()) == "--executor must be slurm or local, got \"pbs\"";
  });
  auto r = run_command(moelaw_command("submit x.toml --executor pbs --out x"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("--executor must be slurm or local, got \"pbs\"") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(a_running_local_job_is_reported_and_cancelled) {
  TempDir tmp;
  write_test_shard(tmp / "x_val_000000.bin", 400, 100);
  write_test_shard(tmp / "x_train_000001.bin", 2000, 100);
  auto grid = grid_over(tmp / "grid.toml", "cancel", tmp / "x_train_*.bin", tmp / "x_val_*.bin");
  // Waits until signalled, then leaves the exit record a checkpointed trainer's script leaves.
  std::ofstream(tmp / "wait.sh") << "#!/bin/bash\necho started @RUN@\n"
                                    "trap 'kill $! 2>/dev/null; printf \"75 local\\n\" > @EXIT_RECORD@; exit 75' TERM\n"
                                    "sleep 60 & wait\n";
  const std::string exp = tmp / "exp";
  Process p(moelaw_command("submit " + grid + " --executor local --template " + (tmp / "wait.sh") + " --out " + exp));
  ExperimentDir dir(exp);
  auto local = make_executor("local");
  const std::vector<std::string> runs = {kTrunk, cooldown(640)};
  BOOST_REQUIRE(wait_until([&] { return local->status(dir, runs).count(kTrunk) == 1; }, 60));
  BOOST_REQUIRE(wait_until([&] { return fs::exists(exp + "/logs/" + kTrunk + "-local.out") &&
                                        slurp(exp + "/logs/" + kTrunk + "-local.out").find("started") != std::string::npos; }, 30));
  auto jobs = local->status(dir, runs);
  BOOST_TEST(jobs.count(cooldown(640)) == 0u);  // waits for its trunk: not started
  const ExecutorJob job = jobs.at(kTrunk);
  BOOST_TEST(job.id == "local");
  BOOST_TEST(job.active);
  BOOST_TEST(job.running);
  auto status = experiment_status(dir);
  BOOST_TEST(state_name(status.runs[0].state) == std::string("running"));
  BOOST_TEST(status.runs[0].job_id == "local");
  BOOST_TEST(state_name(status.runs[1].state) == std::string("planned"));

  local->cancel(dir, kTrunk, job);
  BOOST_TEST(p.wait() == 75, p.output());
  BOOST_TEST(p.output().find("stopped after a checkpoint") != std::string::npos, p.output());
  BOOST_TEST(local->status(dir, runs).empty());
  BOOST_TEST(state_name(experiment_status(dir).runs[0].state) == std::string("preempted"));
}

BOOST_AUTO_TEST_SUITE_END()
