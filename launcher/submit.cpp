#include "launcher/submit.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "launcher/experiment_dir.hpp"
#include "launcher/job_script.hpp"
#include "launcher/plan_json.hpp"
#include "launcher/process.hpp"
#include "launcher/run_state.hpp"
#include "launcher/slurm_client.hpp"
#include "train/run_dir.hpp"
#include "train/run_lock.hpp"

namespace moelaw::launcher {

namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot read");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_atomically(const std::string& path, const std::string& text) { write_file_atomically(path, {text}); }

// Writes a file only when its content changes, so a resubmission leaves files of running jobs alone.
void write_if_changed(const std::string& path, const std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream s;
    s << in.rdbuf();
    if (s.str() == text) return;
  }
  write_atomically(path, text);
}

std::string now_iso() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&t));
  return buf;
}

// The files every job needs: plan, configurations, scripts. A run whose job is active keeps its
// files (they are identical unless the experiment changed, and then the change applies to the
// next job of that run).
void write_experiment_files(const Experiment& exp, const Plan& plan, const ExperimentDir& dir,
                            const SubmitOptions& opt, const std::string& template_text, const std::string& template_name) {
  dir.create();
  write_atomically(dir.plan_path(), plan_to_json(exp, plan).dump(2) + "\n");
  write_if_changed(dir.experiment_copy_path(), read_text(exp.path));
  JobScriptInputs inputs{opt.moelaw_binary, opt.workdir, opt.signal_seconds};
  for (const auto& run : plan.runs) {
    write_if_changed(dir.config_path(run.name), run.config_toml);
    write_if_changed(dir.script_path(run.name), render_job_script(template_text, template_name, exp, run, dir, inputs));
  }
}

void print_action(const RunStatus& s, const std::string& action) {
  std::printf("%-44s %-10s %s\n", s.name.c_str(), state_name(s.state), action.c_str());
}

volatile sig_atomic_t g_interrupted = 0;
volatile pid_t g_child = 0;
// The running job's script passes the signal on to the trainer (which checkpoints and exits 75);
// a Ctrl-C at a terminal reaches them directly as well, which does no harm.
void on_interrupt(int) {
  g_interrupted = 1;
  if (g_child > 0) ::kill(g_child, SIGTERM);
}

int submit_local(const Plan& plan, const ExperimentDir& dir, const nlohmann::json& plan_json, bool dry_run) {
  // On SIGINT or SIGTERM the running job checkpoints and exits 75; this process then stops
  // instead of starting the next run.
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  for (const auto& run : plan.runs)  // one live trainer per run directory, whoever started it
    if (auto pid = train::running_trainer(train::RunDir(dir.run_dir(run.name))))
      throw UsageError(train::already_running_message(train::RunDir(dir.run_dir(run.name)), *pid));
  std::set<std::string> failed;  // runs that failed or depend on one that did
  int status = kExitOk;
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const auto& run = plan.runs[i];
    RunStatus s = run_status(dir, plan_json["runs"][i], {});
    if (s.state == RunState::done) {
      print_action(s, "done");
      continue;
    }
    if (!run.init_from.empty() && failed.count(run.init_from)) {
      print_action(s, "skipped: its trunk " + run.init_from + " did not finish");
      failed.insert(run.name);
      continue;
    }
    if (dry_run) {
      print_action(s, "would run: bash " + dir.script_path(run.name));
      continue;
    }
    if (g_interrupted) break;
    print_action(s, "running (log " + dir.root() + "/logs/" + run.name + "-local.out)");
    std::fflush(stdout);
    write_atomically(dir.record_path(run.name),
                     nlohmann::json{{"executor", "local"}, {"job_id", "local"}, {"pid", ::getpid()}, {"running", true},
                                    {"submitted", now_iso()}}.dump(2) + "\n");
    int rc = run_process_logged({"bash", dir.script_path(run.name)}, dir.root() + "/logs/" + run.name + "-local.out", &g_child);
    write_atomically(dir.record_path(run.name),
                     nlohmann::json{{"executor", "local"}, {"job_id", "local"}, {"exit_status", rc},
                                    {"finished", now_iso()}}.dump(2) + "\n");
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
      status = kExitFailure;
    }
    std::fflush(stdout);
  }
  if (g_interrupted) return kExitPreempted;
  return status;
}

int submit_slurm(const Experiment& exp, const Plan& plan, const ExperimentDir& dir, const nlohmann::json& plan_json,
                 const SubmitOptions& opt) {
  SlurmClient slurm;
  const std::string prefix = dir.job_name("");
  auto jobs = slurm.jobs_with_prefix(prefix);
  std::map<std::string, std::string> active_job;  // run -> the job id that runs it now
  int submitted = 0, left_alone = 0, done = 0;
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const auto& run = plan.runs[i];
    RunStatus s = run_status(dir, plan_json["runs"][i], jobs);
    if (s.state == RunState::done) {
      ++done;
      print_action(s, "done");
      continue;
    }
    std::string trunk_pin, trunk_job;
    if (!run.init_from.empty()) {
      trunk_pin = train::RunDir(dir.run_dir(run.init_from)).pin_path(run.start_tokens);
      if (!fs::exists(trunk_pin)) {
        auto it = active_job.find(run.init_from);
        if (it == active_job.end()) {
          print_action(s, "not submitted: trunk " + run.init_from + " has neither the checkpoint at " +
                              std::to_string(run.start_tokens) + " tokens nor a job that will write it");
          continue;
        }
        trunk_job = it->second;
      }
    }
    if (s.job && s.job->active()) {
      // A job waiting on a trunk job that will never succeed (failed, cancelled, replaced) waits
      // forever under afterok: cancel it and submit again with the right dependency.
      const bool stale = !s.job->running() && !s.job->dependency.empty() &&
                         (trunk_job.empty() || s.job->dependency.find("afterok:" + trunk_job) == std::string::npos);
      if (!stale) {
        active_job[run.name] = s.job->id;
        if (dir.read_json(dir.record_path(run.name)).value("job_id", "") != s.job->id && !opt.dry_run)
          // Found by name: a submitter was stopped between sbatch and writing this record.
          write_atomically(dir.record_path(run.name), nlohmann::json{{"executor", "slurm"}, {"job_id", s.job->id},
                                                                     {"adopted", now_iso()}}.dump(2) + "\n");
        ++left_alone;
        print_action(s, "left alone (job " + s.job->id + (s.detail.empty() ? "" : ", " + s.detail) + ")");
        continue;
      }
      if (opt.dry_run) {
        print_action(s, "would cancel job " + s.job->id + " (waits on " + s.job->dependency + ") and resubmit");
        active_job[run.name] = "DRYRUN";
        continue;
      }
      slurm.cancel(s.job->id);
      print_action(s, "cancelled job " + s.job->id + " (waited on " + s.job->dependency + ")");
    }
    std::vector<std::string> options = {"--job-name=" + dir.job_name(run.name), "--output=" + dir.log_pattern(run.name),
                                        "--chdir=" + opt.workdir};
    if (!trunk_job.empty()) options.push_back("--dependency=afterok:" + trunk_job);
    if (opt.dry_run) {
      std::string line = "would submit: sbatch";
      for (const auto& o : options) line += " " + o;
      print_action(s, line + " " + dir.script_path(run.name));
      active_job[run.name] = "DRYRUN";
      continue;
    }
    std::string id = slurm.submit(dir.script_path(run.name), options);
    write_atomically(dir.record_path(run.name),
                     nlohmann::json{{"executor", "slurm"}, {"job_id", id}, {"submitted", now_iso()},
                                    {"depends_on", trunk_job.empty() ? nlohmann::json(nullptr) : nlohmann::json(trunk_job)}}
                             .dump(2) + "\n");
    active_job[run.name] = id;
    ++submitted;
    print_action(s, "submitted job " + id + (trunk_job.empty() ? "" : " after job " + trunk_job));
  }
  std::printf("\n%s: %d submitted, %d queued or running left alone, %d done, of %zu runs\n", exp.name.c_str(),
              submitted, left_alone, done, plan.runs.size());
  return kExitOk;
}

}  // namespace

int submit(const Experiment& exp, const Plan& plan, const SubmitOptions& opt) {
  if (opt.executor != "slurm" && opt.executor != "local")
    throw UsageError("--executor must be slurm or local, got \"" + opt.executor + "\"");
  const std::string template_name = opt.template_path.empty() ? "slurm/job.sbatch.in (built in)" : opt.template_path;
  const std::string template_text = opt.template_path.empty() ? default_job_template() : read_text(opt.template_path);
  ExperimentDir dir(opt.exp_dir);
  if (fs::exists(dir.root()) && !fs::is_directory(dir.root())) throw UsageError(dir.root() + ": not a directory");
  const nlohmann::json plan_json = plan_to_json(exp, plan);

  if (opt.dry_run) {
    // Render everything (template errors show now) but write nothing.
    JobScriptInputs inputs{opt.moelaw_binary, opt.workdir, opt.signal_seconds};
    std::vector<std::string> scripts;
    for (const auto& run : plan.runs) scripts.push_back(render_job_script(template_text, template_name, exp, run, dir, inputs));
    std::printf("dry run: nothing is written or started in %s\n", dir.root().c_str());
    if (!scripts.empty())
      std::printf("--- batch script of %s ---\n%s--- end ---\n", plan.runs[0].name.c_str(), scripts[0].c_str());
    return opt.executor == "local" ? submit_local(plan, dir, plan_json, true) : submit_slurm(exp, plan, dir, plan_json, opt);
  }
  fs::create_directories(dir.root());
  SubmitLock lock(dir);
  write_experiment_files(exp, plan, dir, opt, template_text, template_name);
  return opt.executor == "local" ? submit_local(plan, dir, plan_json, false) : submit_slurm(exp, plan, dir, plan_json, opt);
}

}  // namespace moelaw::launcher
