#pragma once
// The SLURM executor: one sbatch job per run, named after the experiment directory and the run
// (ExperimentDir::job_name), so that a submitter finds the jobs it started even when it was
// killed before recording them. Cooldowns wait for their trunk's job with afterok unless the
// branch checkpoint is already on disk; a job stopped by a signal requeues itself (the batch
// script), and one left waiting on a trunk job that can never succeed is cancelled and submitted
// again.
#include "launcher/executor.hpp"
#include "launcher/slurm_client.hpp"

namespace moelaw::launcher {

class SlurmExecutor : public Executor {
 public:
  const char* name() const override { return "slurm"; }
  const char* display_name() const override { return "SLURM"; }
  const char* help() const override {
    return "  --executor slurm    one sbatch job per run; cooldowns wait for their trunk (afterok);\n"
           "                      a job stopped by a signal (exit 75) requeues itself and resumes\n";
  }
  int submit(const SubmitContext& context) override;
  ExecutorJobs status(const ExperimentDir& dir, const std::vector<std::string>& runs) const override;
  void cancel(const ExperimentDir& dir, const std::string& run, const ExecutorJob& job) const override;

 private:
  SlurmClient slurm_;
};

// The newest job (ids grow) of each run among squeue's `jobs`, by the job name of `dir`'s runs.
ExecutorJobs jobs_by_run(const ExperimentDir& dir, const std::vector<std::string>& runs,
                         const std::vector<SlurmJob>& jobs);

}  // namespace moelaw::launcher
