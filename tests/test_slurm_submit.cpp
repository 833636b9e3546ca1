// `moelaw submit --executor slurm` against a real one-node SLURM cluster on loopback
// (slurm/local-cluster.sh: munge, slurmctld and slurmd from Debian's packages), started for this
// test and stopped after it. A tiny grid finishes with every cooldown branched from its trunk's
// pinned checkpoint; a second submit adds no job; a job preempted with
// `scancel --signal=USR1 --batch` or requeued with `scontrol requeue` resumes by itself and ends
// with exactly the losses of an uninterrupted run (the local executor's); a cancelled trunk
// leaves its cooldowns waiting on a dependency that can never be met, and the next submit
// repairs that. Needs root (munge and slurmd), as on the CI machines.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <future>
#include <map>

#include "support/tiny_experiment.hpp"

BOOST_AUTO_TEST_SUITE(test_slurm_submit)

namespace fs = std::filesystem;
using namespace moelaw::testing;

namespace {


std::string g_cluster_error;  // empty when the cluster runs

struct LocalCluster {
  std::string dir = "/tmp/moelaw-slurm-test-" + std::to_string(::getpid());
  std::string env = "MOELAW_SLURM_DIR=" + dir + " MOELAW_SLURM_PORT=16917 ";
  LocalCluster() {
    if (::geteuid() != 0) {
      g_cluster_error = "not root: munged and slurmd need root here";
      return;
    }
    auto r = run_command(env + "bash " MOELAW_SOURCE_DIR "/slurm/local-cluster.sh start");
    if (r.status != 0) {
      g_cluster_error = "slurm/local-cluster.sh start failed: " + r.out + r.err;
      return;
    }
    ::setenv("SLURM_CONF", (dir + "/slurm.conf").c_str(), 1);
  }
  ~LocalCluster() {
    if (::geteuid() == 0) run_command(env + "bash " MOELAW_SOURCE_DIR "/slurm/local-cluster.sh stop");
  }
};

#define REQUIRE_CLUSTER() BOOST_REQUIRE_MESSAGE(g_cluster_error.empty(), g_cluster_error)

CommandResult submit(const std::string& experiment, const std::string& exp_dir, const std::string& executor) {
  return run_command("OMP_NUM_THREADS=1 " +
                     moelaw_command("submit " + experiment + " --executor " + executor + " --out " + exp_dir));
}

double final_loss(const std::string& exp_dir, const std::string& run) {
  return read_json_file(exp_dir + "/runs/" + run + "/summary.json")["final_loss"];
}

// Final losses of every run of `experiment` run uninterrupted by the local executor.
using Losses = std::map<std::string, double>;
Losses reference(const std::string& experiment, const TempDir& tmp) {
  const std::string dir = tmp / "reference";
  auto r = submit(experiment, dir, "local");
  if (r.status != 0) throw std::runtime_error("local reference: " + r.out + r.err);
  Losses losses;
  const auto status = status_json(dir);  // held: a range over a temporary's member dangles
  for (const auto& run : status["runs"]) losses[run["name"]] = final_loss(dir, run["name"]);
  return losses;
}

// The same, started now beside the cluster's jobs (which spend much of their time waiting on the
// scheduler) rather than after them; `tmp` must outlive the result.
std::future<Losses> reference_in_background(const std::string& experiment, const TempDir& tmp) {
  return std::async(std::launch::async, [experiment, &tmp] { return reference(experiment, tmp); });
}

nlohmann::json wait_all_done(const std::string& exp_dir, double seconds) {
  nlohmann::json status;
  wait_until([&] { return all_runs(status = status_json(exp_dir), "done"); }, seconds);
  return status;
}

std::string job_of(const std::string& exp_dir, const std::string& run) {
  return read_json_file(exp_dir + "/jobs/" + run + ".json")["job_id"];
}

int jobs_known_to_slurm(const std::string& prefix) {
  auto r = run_command("squeue --noheader --states=all --format=%j");
  int n = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) n += line.rfind(prefix, 0) == 0;
  return n;
}

// A requeued job is held for two minutes (SLURM's requeue delay): as the cluster's admin, the
// test lets it start sooner, but only once the node is idle and no process of the first
// instance is left: slurmd's clean-up of that instance would otherwise signal the new one,
// which has the same job id (the delay exists for this reason).
void release_when_requeued(const std::string& job, const std::string& run_dir) {
  BOOST_REQUIRE(wait_until([&] {
    auto r = run_command("scontrol show job " + job);
    return r.out.find("Restarts=0") == std::string::npos && r.out.find("JobState=PENDING") != std::string::npos;
  }, 60));
  BOOST_REQUIRE(wait_until([&] {
    auto node = run_command("sinfo --noheader --format=%T");
    // "[/]tmp/..." matches the trainer's command line but not this shell's, which holds "[/]".
    auto left = run_command("pgrep -f -- '[/]" + run_dir.substr(1) + "'");
    return node.out.rfind("idle", 0) == 0 && left.status != 0;
  }, 60));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  BOOST_REQUIRE_EQUAL(run_command("scontrol update JobId=" + job + " StartTime=now").status, 0);
}

// Submits, interrupts the trunk's job with `interrupt` once it has checkpointed, and checks the
// grid ends exactly as the uninterrupted reference.
void check_interrupted_run(const std::string& name, const std::string& interrupt) {
  TempDir tmp;
  auto exp = tiny_experiment(tmp / "grid.toml", name, tiny_model("m", "[12800]"), 8);
  const std::string dir = tmp / "exp";
  auto r = submit(exp, dir, "slurm");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  auto want = reference_in_background(exp, tmp);
  const std::string job = job_of(dir, kTrunk);
  BOOST_REQUIRE(wait_until([&] { return fs::exists(dir + "/runs/" + kTrunk + "/checkpoints/step-00000008.h5"); }, 120));
  BOOST_REQUIRE_EQUAL(run_command(interrupt + " " + job).status, 0);
  release_when_requeued(job, dir + "/runs/" + kTrunk);
  auto status = wait_all_done(dir, 240);
  BOOST_REQUIRE_MESSAGE(all_runs(status, "done"), status.dump(1));

  std::string log = slurp(dir + "/logs/" + kTrunk + "-" + job + ".out");
  BOOST_TEST(log.find("(restart 1)") != std::string::npos, log);
  BOOST_TEST(log.find("resuming from") != std::string::npos, log);
  BOOST_TEST(job_of(dir, kTrunk) == job);  // the same job, requeued: not a second submission
  for (const auto& [run, loss] : want.get()) BOOST_TEST(final_loss(dir, run) == loss, run);
}

}  // namespace

// The cluster is started once for the cases below (a suite fixture rather than a global one, so
// that a test program holding other suites too starts it only when these run).
BOOST_AUTO_TEST_SUITE(on_a_local_cluster, *boost::unit_test::fixture<LocalCluster>())

BOOST_AUTO_TEST_CASE(grid_finishes_and_a_second_submit_adds_no_job) {
  REQUIRE_CLUSTER();
  TempDir tmp;
  auto exp = tiny_experiment(tmp / "grid.toml", "slurm-grid", tiny_model("m", "[640, 1280]"));
  const std::string dir = tmp / "exp";
  auto r = submit(exp, dir, "slurm");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  auto want = reference_in_background(exp, tmp);
  BOOST_TEST(r.out.find("3 submitted") != std::string::npos, r.out);
  // Both cooldowns wait for the trunk's job.
  const std::string trunk_job = job_of(dir, kTrunk);
  for (int d : {640, 1280})
    BOOST_TEST(read_json_file(dir + "/jobs/" + cooldown(d) + ".json")["depends_on"] == trunk_job);

  auto status = wait_all_done(dir, 240);
  BOOST_REQUIRE_MESSAGE(all_runs(status, "done"), status.dump(1));
  BOOST_TEST(read_json_file(dir + "/runs/" + cooldown(640) + "/summary.json")["init_from"] ==
             dir + "/runs/" + kTrunk + "/checkpoints/pin-tokens-000000000512.h5");
  BOOST_TEST(read_json_file(dir + "/runs/" + cooldown(1280) + "/summary.json")["init_from"] ==
             dir + "/runs/" + kTrunk + "/checkpoints/pin-tokens-000000001024.h5");
  for (const auto& [run, loss] : want.get()) BOOST_TEST(final_loss(dir, run) == loss, run);

  // Again: nothing new for SLURM.
  const std::string prefix = "moelaw-";
  const int jobs_before = jobs_known_to_slurm(prefix);
  auto again = submit(exp, dir, "slurm");
  BOOST_REQUIRE_MESSAGE(again.status == 0, again.err);
  BOOST_TEST(again.out.find("0 submitted") != std::string::npos, again.out);
  BOOST_TEST(jobs_known_to_slurm(prefix) == jobs_before);
  BOOST_TEST(job_of(dir, kTrunk) == trunk_job);
}

BOOST_AUTO_TEST_CASE(preempted_with_usr1_resumes_and_ends_as_uninterrupted) {
  REQUIRE_CLUSTER();
  check_interrupted_run("slurm-usr1", "scancel --signal=USR1 --batch");
}

BOOST_AUTO_TEST_CASE(requeued_by_the_scheduler_resumes_and_ends_as_uninterrupted) {
  REQUIRE_CLUSTER();
  check_interrupted_run("slurm-requeue", "scontrol requeue");
}

BOOST_AUTO_TEST_CASE(a_cancelled_trunk_is_repaired_by_the_next_submit) {
  REQUIRE_CLUSTER();
  TempDir tmp;
  auto exp = tiny_experiment(tmp / "grid.toml", "slurm-cancel", tiny_model("m", "[6400, 12800]"), 8);
  const std::string dir = tmp / "exp";
  auto r = submit(exp, dir, "slurm");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  auto want = reference_in_background(exp, tmp);
  const std::string job = job_of(dir, kTrunk);
  BOOST_REQUIRE(wait_until([&] { return fs::exists(dir + "/runs/" + kTrunk + "/checkpoints/step-00000008.h5"); }, 120));
  BOOST_REQUIRE_EQUAL(run_command("scancel " + job).status, 0);
  // The trunk's job is gone without finishing; its cooldowns wait on it forever.
  BOOST_REQUIRE(wait_until([&] {
    auto s = status_json(dir);
    return s["runs"][0]["state"] == "failed" || s["runs"][0]["state"] == "preempted";
  }, 60));
  auto stuck = status_json(dir);
  BOOST_TEST(stuck["runs"][1]["state"] == "queued", stuck.dump(1));

  auto again = submit(exp, dir, "slurm");
  BOOST_REQUIRE_MESSAGE(again.status == 0, again.out + again.err);
  BOOST_TEST(again.out.find("cancelled job") != std::string::npos, again.out);  // the stuck cooldowns
  BOOST_TEST(again.out.find("3 submitted") != std::string::npos, again.out);
  const std::string new_trunk_job = job_of(dir, kTrunk);
  BOOST_TEST(new_trunk_job != job);
  for (int d : {6400, 12800})
    BOOST_TEST(read_json_file(dir + "/jobs/" + cooldown(d) + ".json")["depends_on"] == new_trunk_job);
  auto status = wait_all_done(dir, 240);
  BOOST_REQUIRE_MESSAGE(all_runs(status, "done"), status.dump(1));
  for (const auto& [run, loss] : want.get()) BOOST_TEST(final_loss(dir, run) == loss, run);
}

BOOST_AUTO_TEST_CASE(a_two_rank_job_runs_under_mpirun_inside_the_allocation) {
  REQUIRE_CLUSTER();
  TempDir tmp;
  auto exp = tiny_experiment(tmp / "grid.toml", "slurm-ranks", tiny_model("m", "[640]"), 2,
                             "ranks = 2\ntime_limit = \"00:10:00\"\n");
  const std::string dir = tmp / "exp";
  auto r = submit(exp, dir, "slurm");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  BOOST_TEST(slurp(dir + "/jobs/" + kTrunk + ".sh").find("#SBATCH --ntasks=2") != std::string::npos);
  auto status = wait_all_done(dir, 240);
  BOOST_REQUIRE_MESSAGE(all_runs(status, "done"), status.dump(1));
  for (const auto& run : {kTrunk, cooldown(640)})
    BOOST_TEST(read_json_file(dir + "/runs/" + run + "/summary.json")["world_size"] == 2, run);
  // The same two ranks started by the local executor's mpirun give the same result. Afterwards,
  // not in the background: beside the cluster's two ranks they would be four on two cores.
  auto want = reference(exp, tmp);
  for (const auto& [run, loss] : want) BOOST_TEST(final_loss(dir, run) == loss, run);
}

BOOST_AUTO_TEST_SUITE_END()  // on_a_local_cluster

BOOST_AUTO_TEST_SUITE_END()
