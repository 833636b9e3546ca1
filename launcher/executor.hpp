#pragma once
// What runs the jobs of an experiment: SLURM (launcher/slurm_executor.hpp) or this machine
// (launcher/local_executor.hpp). `moelaw submit` writes the experiment directory, then hands the
// plan to the executor named by --executor; `moelaw status` asks the executors that the job
// records name what they still hold. A new executor is one file implementing this interface
// and one line in executor.cpp's table.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "launcher/experiment.hpp"
#include "launcher/experiment_dir.hpp"
#include "launcher/plan.hpp"

namespace moelaw::launcher {

struct SubmitOptions;
struct RunStatus;

// An executor's view of the job that runs (or last ran) a run, while it still knows of it.
struct ExecutorJob {
  std::string id;          // the id the job record and the exit record hold
  std::string state;       // the scheduler's own word for it ("PENDING", ...); empty if it has none
  std::string reason;      // why it waits, if the scheduler says ("None": no reason)
  std::string dependency;  // what it waits for ("afterok:12(unfulfilled)"), if anything
  bool active = false;     // queued or running: the executor still owns it
  bool running = false;
};

// Run name -> its newest job.
using ExecutorJobs = std::map<std::string, ExecutorJob>;

// What an executor's submit works on: written by submit() before it is called (unless dry_run).
struct SubmitContext {
  const Experiment& experiment;
  const Plan& plan;
  const nlohmann::json& plan_json;  // plan_to_json(experiment, plan): what run_status reads
  const ExperimentDir& dir;
  const SubmitOptions& options;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual const char* name() const = 0;          // the --executor value and the job records' "executor"
  virtual const char* display_name() const = 0;  // for messages: "SLURM", "the local executor"
  // Its lines of `moelaw submit --help`: "  --executor NAME    what it does\n" (continued, indented).
  virtual const char* help() const = 0;
  // Starts every run of the plan that is not done, queued or running (dry run: says what it
  // would do and changes nothing). Returns moelaw submit's exit status.
  virtual int submit(const SubmitContext& context) = 0;
  // The jobs this executor still holds for `runs` of the experiment; throws when unreachable.
  virtual ExecutorJobs status(const ExperimentDir& dir, const std::vector<std::string>& runs) const = 0;
  // Stops a run's job (queued: removed; running: checkpoints and exits 75).
  virtual void cancel(const ExperimentDir& dir, const std::string& run, const ExecutorJob& job) const = 0;
};

// The executor registered under `name`; a UsageError listing the names otherwise.
std::unique_ptr<Executor> make_executor(const std::string& name);
std::vector<std::string> executor_names();  // in registration order
std::string executor_choices();             // "slurm or local"
std::string executor_help();                // every executor's help(), in order

// One line of submit's report: run, its state, what was done with it.
void print_action(const RunStatus& status, const std::string& action);
// Local time as 2026-01-31T12:00:00+0100, for job records.
std::string now_iso();
// Replaces jobs/RUN.json (the job record) atomically.
void write_job_record(const ExperimentDir& dir, const std::string& run, const nlohmann::json& record);

}  // namespace moelaw::launcher
