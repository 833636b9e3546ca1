#pragma once
// The local executor: the same batch scripts as SLURM's, run with bash one after another on this
// machine, in plan order (a cooldown after its trunk; one whose trunk failed is skipped). While a
// run goes on, its job record holds this submitter's pid: that is what status() reports as
// running and what cancel() signals. SIGINT or SIGTERM to the submitter makes the running job
// checkpoint and exit 75, and the submitter stop instead of starting the next run.
#include "launcher/executor.hpp"

namespace moelaw::launcher {

class LocalExecutor : public Executor {
 public:
  const char* name() const override { return "local"; }
  const char* display_name() const override { return "the local executor"; }
  const char* help() const override {
    return "  --executor local    the same batch scripts, run with bash one after another here;\n"
           "                      Ctrl-C checkpoints the current run and stops (exit 75)\n";
  }
  int submit(const SubmitContext& context) override;
  ExecutorJobs status(const ExperimentDir& dir, const std::vector<std::string>& runs) const override;
  void cancel(const ExperimentDir& dir, const std::string& run, const ExecutorJob& job) const override;
};

}  // namespace moelaw::launcher
