#pragma once
// `moelaw submit`: writes the experiment directory (plan, configurations, batch scripts) and
// starts what is not done, under the experiment's submit lock. Runs that are done, queued or
// running are left alone; failed, preempted and new ones are (re)submitted. Cooldowns depend on
// their trunk: with SLURM through afterok on the trunk's job (unless the branch checkpoint is
// already on disk), with the local executor by running in plan order.
#include <string>

#include "launcher/experiment.hpp"
#include "launcher/plan.hpp"

namespace moelaw::launcher {

struct SubmitOptions {
  std::string executor;       // "slurm" or "local"
  std::string exp_dir;
  bool dry_run = false;       // say what would be done; write and start nothing
  std::string template_path;  // empty: the compiled-in slurm/job.sbatch.in
  std::string moelaw_binary;  // absolute path of this moelaw
  std::string workdir;        // where jobs resolve relative paths (the submitter's directory)
  int signal_seconds = 120;
};

// Returns the exit status for `moelaw submit`: 0 when everything is done or submitted, 1 when a
// local run failed, 75 when the local executor was interrupted (submit again to continue).
int submit(const Experiment& experiment, const Plan& plan, const SubmitOptions& options);

}  // namespace moelaw::launcher
