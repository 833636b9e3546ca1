#include "launcher/slurm_executor.hpp"

#include <cstdio>
#include <filesystem>

#include "common/errors.hpp"
#include "launcher/run_state.hpp"
#include "launcher/submit.hpp"
#include "train/run_dir.hpp"

namespace moelaw::launcher {

namespace fs = std::filesystem;

ExecutorJobs jobs_by_run(const ExperimentDir& dir, const std::vector<std::string>& runs,
                         const std::vector<SlurmJob>& jobs) {
  ExecutorJobs out;
  for (const auto& run : runs) {
    const std::string name = dir.job_name(run);
    for (const auto& job : jobs) {
      if (job.name != name) continue;
      auto it = out.find(run);
      if (it != out.end() && std::stoll(job.id) <= std::stoll(it->second.id)) continue;
      out[run] = {job.id, job.state, job.reason, job.dependency, job.active(), job.running()};
    }
  }
  return out;
}

ExecutorJobs SlurmExecutor::status(const ExperimentDir& dir, const std::vector<std::string>& runs) const {
  return jobs_by_run(dir, runs, slurm_.jobs_with_prefix(dir.job_name("")));
}

void SlurmExecutor::cancel(const ExperimentDir&, const std::string&, const ExecutorJob& job) const {
  slurm_.cancel(job.id);
}

int SlurmExecutor::submit(const SubmitContext& c) {
  const auto& [exp, plan, plan_json, dir, opt] = c;
  std::vector<std::string> names;
  for (const auto& run : plan.runs) names.push_back(run.name);
  const ExecutorJobs jobs = status(dir, names);
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
    std::string trunk_job;
    if (!run.init_from.empty() && !fs::exists(train::RunDir(dir.run_dir(run.init_from)).pin_path(run.start_tokens))) {
      auto it = active_job.find(run.init_from);
      if (it == active_job.end()) {
        print_action(s, "not submitted: trunk " + run.init_from + " has neither the checkpoint at " +
                            std::to_string(run.start_tokens) + " tokens nor a job that will write it");
        continue;
      }
      trunk_job = it->second;
    }
    if (s.job && s.job->active) {
      // A job waiting on a trunk job that will never succeed (failed, cancelled, replaced) waits
      // forever under afterok: cancel it and submit again with the right dependency.
      const bool stale = !s.job->running && !s.job->dependency.empty() &&
                         (trunk_job.empty() || s.job->dependency.find("afterok:" + trunk_job) == std::string::npos);
      if (!stale) {
        active_job[run.name] = s.job->id;
        if (dir.read_json(dir.record_path(run.name)).value("job_id", "") != s.job->id && !opt.dry_run)
          // Found by name: a submitter was stopped between sbatch and writing this record.
          write_job_record(dir, run.name, {{"executor", "slurm"}, {"job_id", s.job->id}, {"adopted", now_iso()}});
        ++left_alone;
        print_action(s, "left alone (job " + s.job->id + (s.detail.empty() ? "" : ", " + s.detail) + ")");
        continue;
      }
      if (opt.dry_run) {
        print_action(s, "would cancel job " + s.job->id + " (waits on " + s.job->dependency + ") and resubmit");
        active_job[run.name] = "DRYRUN";
        continue;
      }
      cancel(dir, run.name, *s.job);
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
    std::string id = slurm_.submit(dir.script_path(run.name), options);
    write_job_record(dir, run.name,
                     {{"executor", "slurm"}, {"job_id", id}, {"submitted", now_iso()},
                      {"depends_on", trunk_job.empty() ? nlohmann::json(nullptr) : nlohmann::json(trunk_job)}});
    active_job[run.name] = id;
    ++submitted;
    print_action(s, "submitted job " + id + (trunk_job.empty() ? "" : " after job " + trunk_job));
  }
  std::printf("\n%s: %d submitted, %d queued or running left alone, %d done, of %zu runs\n", exp.name.c_str(),
              submitted, left_alone, done, plan.runs.size());
  return kExitOk;
}

}  // namespace moelaw::launcher
