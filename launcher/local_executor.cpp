#include "launcher/local_executor.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "common/errors.hpp"
#include "launcher/process.hpp"
#include "launcher/run_state.hpp"
#include "launcher/submit.hpp"
#include "train/run_lock.hpp"

namespace moelaw::launcher {

namespace {

volatile sig_atomic_t g_interrupted = 0;
volatile pid_t g_child = 0;
// The running job's script passes the signal on to the trainer (which checkpoints and exits 75);
// a Ctrl-C at a terminal reaches them directly as well, which does no harm.
void on_interrupt(int) {
  g_interrupted = 1;
  if (g_child > 0) ::kill(g_child, SIGTERM);
}

// The pid of the submitter running `run` now, or 0.
pid_t live_submitter(const ExperimentDir& dir, const std::string& run) {
  const auto record = dir.read_json(dir.record_path(run));
  if (record.value("executor", "") != "local" || !record.contains("pid") || !record["pid"].is_number_integer() ||
      !record.value("running", false))
    return 0;
  const pid_t pid = record["pid"].get<pid_t>();
  return pid > 0 && ::kill(pid, 0) == 0 ? pid : 0;
}

std::string log_path(const ExperimentDir& dir, const std::string& run) {
  return dir.root() + "/logs/" + run + "-local.out";
}

}  // namespace

ExecutorJobs LocalExecutor::status(const ExperimentDir& dir, const std::vector<std::string>& runs) const {
  ExecutorJobs jobs;
  for (const auto& run : runs)
    if (live_submitter(dir, run)) jobs[run] = {"local", "", "", "", true, true};
  return jobs;
}

void LocalExecutor::cancel(const ExperimentDir& dir, const std::string& run, const ExecutorJob&) const {
  if (pid_t pid = live_submitter(dir, run)) ::kill(pid, SIGTERM);
}

int LocalExecutor::submit(const SubmitContext& c) {
  const auto& [exp, plan, plan_json, dir, opt] = c;
  for (const auto& run : plan.runs)  // one live trainer per run directory, whoever started it
    if (auto pid = train::running_trainer(train::RunDir(dir.run_dir(run.name))))
      throw UsageError(train::already_running_message(train::RunDir(dir.run_dir(run.name)), *pid));
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::set<std::string> failed;  // runs that failed or depend on one that did
  int status_code = kExitOk;
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const auto& run = plan.runs[i];
    RunStatus s = run_status(dir, plan_json["runs"][i], status(dir, {run.name}));
    if (s.state == RunState::done) {
      print_action(s, "done");
      continue;
    }
    if (!run.init_from.empty() && failed.count(run.init_from)) {
      print_action(s, "skipped: its trunk " + run.init_from + " did not finish");
      failed.insert(run.name);
      continue;
    }
    if (opt.dry_run) {
      print_action(s, "would run: bash " + dir.script_path(run.name));
      continue;
    }
    if (g_interrupted) break;
    print_action(s, "running (log " + log_path(dir, run.name) + ")");
    std::fflush(stdout);
    write_job_record(dir, run.name, {{"executor", "local"}, {"job_id", "local"}, {"pid", ::getpid()},
                                     {"running", true}, {"submitted", now_iso()}});
    int rc = run_process_logged({"bash", dir.script_path(run.name)}, log_path(dir, run.name), &g_child);
    write_job_record(dir, run.name,
                     {{"executor", "local"}, {"job_id", "local"}, {"exit_status", rc}, {"finished", now_iso()}});
    RunStatus after = run_status(dir, plan_json["runs"][i], {});
    if (after.state == RunState::done) {
      char loss[64] = "";
      if (after.final_loss) std::snprintf(loss, sizeof loss, ", held-out loss %.4f", *after.final_loss);
      print_action(after, std::string("finished") + loss);
    } else if (rc == kExitPreempted || g_interrupted) {
      print_action(after, "stopped after a checkpoint; submit again to continue");
      return kExitPreempted;
    } else {
      print_action(after, "failed with exit status " + std::to_string(rc) + "; see the log");
      failed.insert(run.name);
      status_code = kExitFailure;
    }
    std::fflush(stdout);
  }
  if (g_interrupted) return kExitPreempted;
  return status_code;
}

}  // namespace moelaw::launcher
