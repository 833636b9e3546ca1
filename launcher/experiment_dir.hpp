#pragma once
// The layout of an experiment directory (EXP_DIR), written by `moelaw submit`:
//   plan.json             the plan submitted last (what `moelaw status` reports on)
//   experiment.toml       a copy of the experiment file it came from
//   configs/RUN.toml      each run's resolved configuration
//   jobs/RUN.sh           each run's batch script (rendered from slurm/job.sbatch.in)
//   jobs/RUN.json         the job that runs it (executor, job id, dependency)
//   jobs/RUN.exit         "STATUS JOB_ID" of the last time the script finished
//   logs/RUN-JOBID.out    the job's output
//   runs/RUN/             the run directory (src/train/run_dir.hpp)
//   .submit.lock          held by a submitter (flock), so two cannot submit the same job twice
// Run names are safe names (launcher/experiment.hpp), so every path stays inside EXP_DIR.
#include <string>

#include <nlohmann/json.hpp>

namespace moelaw::launcher {

class ExperimentDir {
 public:
  explicit ExperimentDir(const std::string& path);  // made absolute

  const std::string& root() const { return root_; }
  std::string plan_path() const { return root_ + "/plan.json"; }
  std::string experiment_copy_path() const { return root_ + "/experiment.toml"; }
  std::string lock_path() const { return root_ + "/.submit.lock"; }
  std::string config_path(const std::string& run) const { return root_ + "/configs/" + run + ".toml"; }
  std::string script_path(const std::string& run) const { return root_ + "/jobs/" + run + ".sh"; }
  std::string record_path(const std::string& run) const { return root_ + "/jobs/" + run + ".json"; }
  std::string exit_path(const std::string& run) const { return root_ + "/jobs/" + run + ".exit"; }
  std::string log_pattern(const std::string& run) const { return root_ + "/logs/" + run + "-%j.out"; }
  std::string run_dir(const std::string& run) const { return root_ + "/runs/" + run; }

  void create() const;  // the directory and its sub-directories
  // The scheduler's name for a run's job: unique to this directory, so that a submitter can find
  // jobs it started even when it was killed before recording them.
  std::string job_name(const std::string& run) const;

  nlohmann::json read_json(const std::string& path) const;  // {} if the file is missing

 private:
  std::string root_;
};

// Holds an exclusive flock on EXP_DIR/.submit.lock for its lifetime (waits for another holder).
class SubmitLock {
 public:
  explicit SubmitLock(const ExperimentDir& dir);
  ~SubmitLock();
  SubmitLock(const SubmitLock&) = delete;
  SubmitLock& operator=(const SubmitLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace moelaw::launcher
