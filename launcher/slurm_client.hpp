#pragma once
// The few SLURM commands the executor needs, run without a shell. Job state comes from squeue
// (sacct needs accounting storage that small clusters lack; DESIGN.md): the run directory stays
// the ground truth of what is done.
#include <string>
#include <vector>

namespace moelaw::launcher {

struct SlurmJob {
  std::string id, name, state, reason, dependency;
  bool active() const;   // pending, running, requeued, suspended, ...: the scheduler still owns it
  bool running() const;  // running or completing
};

class SlurmClient {
 public:
  // Throws with the command's stderr when SLURM cannot be reached.
  std::vector<SlurmJob> jobs_with_prefix(const std::string& name_prefix) const;
  // sbatch with the given options; returns the job id.
  std::string submit(const std::string& script, const std::vector<std::string>& options) const;
  void cancel(const std::string& job_id) const;
};

}  // namespace moelaw::launcher
