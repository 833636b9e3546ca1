#pragma once
// Where each run of a submitted experiment stands, from the run directory (the ground truth of
// what is done), the job record, the exit record the batch script leaves, and the executor's
// view of the job (launcher/executor.hpp): nothing here knows which executor that is.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "launcher/experiment_dir.hpp"
#include "launcher/executor.hpp"

namespace moelaw::launcher {

// planned: never submitted (or to be extended); queued: waiting in the scheduler; running;
// preempted: stopped after a checkpoint (exit 75), resumes when (re)submitted or requeued;
// done: complete to its planned tokens; failed: its last job ended without finishing.
enum class RunState { planned, queued, running, preempted, done, failed };
const char* state_name(RunState state);

struct RunStatus {
  std::string name, role, init_from;
  RunState state = RunState::planned;
  int64_t tokens_done = 0, target_tokens = 0;
  std::optional<double> last_loss;   // latest training loss
  std::optional<double> final_loss;  // held-out loss of a finished run
  std::string job_id;                // the job that runs or last ran it
  std::optional<ExecutorJob> job;    // the executor's view of that job, if it still holds it
  std::string detail;                // why failed, the scheduler's reason, ...
};

// `planned_run` is one element of plan.json's "runs"; `jobs` what the executors hold for this
// experiment's runs (empty when none is reachable: the run directory still tells done, preempted
// and failed apart).
RunStatus run_status(const ExperimentDir& dir, const nlohmann::json& planned_run, const ExecutorJobs& jobs);

}  // namespace moelaw::launcher
