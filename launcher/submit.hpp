#pragma once
// `moelaw submit`: writes the experiment directory (plan, configurations, batch scripts) and
// hands the plan to the executor (launcher/executor.hpp), under the experiment's submit lock.
// Runs that are done, queued or running are left alone; failed, preempted and new ones are
// (re)submitted; cooldowns wait for their trunk. Before anything is written or queued, every
// run's inputs are checked and its relative paths made absolute (launcher/submit_checks.hpp).
#include <string>

#include "launcher/experiment.hpp"
#include "launcher/plan.hpp"

namespace moelaw::launcher {

struct SubmitOptions {
  std::string executor;       // a name of executor_names(): "slurm", "local"
  std::string exp_dir;
  bool dry_run = false;       // say what would be done; write and start nothing
  std::string template_path;  // empty: the compiled-in slurm/job.sbatch.in
  std::string moelaw_binary;  // absolute path of this moelaw
  std::string workdir;        // where jobs resolve relative paths (the submitter's directory)
  int signal_seconds = 120;
};

// Returns the exit status for `moelaw submit`: 0 when everything is done or submitted, 1 when a
// local run failed, 75 when the local executor was interrupted (submit again to continue).
// A run that could not start is a UsageError naming it, with nothing written or queued.
int submit(const Experiment& experiment, Plan plan, const SubmitOptions& options);

}  // namespace moelaw::launcher
