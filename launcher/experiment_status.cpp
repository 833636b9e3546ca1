#include "launcher/experiment_status.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/errors.hpp"
#include "launcher/executor.hpp"

namespace moelaw::launcher {

ExperimentStatus experiment_status(const ExperimentDir& dir) {
  if (!std::filesystem::exists(dir.plan_path()))
    throw UsageError(dir.root() + ": no plan.json: not an experiment directory written by `moelaw submit`");
  const auto plan = dir.read_json(dir.plan_path());
  if (!plan.contains("runs") || !plan["runs"].is_array()) throw UsageError(dir.plan_path() + ": no \"runs\" list");

  ExperimentStatus out;
  out.experiment = plan.value("experiment", "");
  std::vector<std::string> names;
  std::set<std::string> executors;  // the ones the job records name
  for (const auto& r : plan["runs"]) {
    names.push_back(r.value("name", ""));
    std::string e = dir.read_json(dir.record_path(names.back())).value("executor", "");
    if (!e.empty()) executors.insert(e);
  }
  ExecutorJobs jobs;
  for (const auto& name : executor_names()) {
    if (!executors.count(name)) continue;
    auto executor = make_executor(name);
    try {
      jobs.merge(executor->status(dir, names));
    } catch (const std::exception& e) {
      out.note += std::string(out.note.empty() ? "" : "; ") + executor->display_name() +
                  " not reachable, states from the run directories only: " + e.what();
    }
  }
  for (const auto& r : plan["runs"]) {
    out.runs.push_back(run_status(dir, r, jobs));
    const auto& s = out.runs.back();
    ++out.totals[state_name(s.state)];
    const int64_t start = r.value("start_tokens", int64_t{0});
    out.tokens_planned += s.target_tokens - start;
    out.tokens_done += std::clamp<int64_t>(s.tokens_done - start, 0, s.target_tokens - start);
  }
  return out;
}

}  // namespace moelaw::launcher
