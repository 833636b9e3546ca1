#pragma once
// `moelaw status`'s workflow: where every run of the plan submitted last to an experiment
// directory stands, asking each executor that a job record names what it still holds.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "launcher/experiment_dir.hpp"
#include "launcher/run_state.hpp"

namespace moelaw::launcher {

struct ExperimentStatus {
  std::string experiment;
  std::vector<RunStatus> runs;     // in plan order
  std::map<std::string, int> totals;  // state name -> runs in it
  int64_t tokens_done = 0, tokens_planned = 0;  // of what the plan trains (trunks counted once)
  std::string note;                // an executor that could not be asked, and why; empty if none
};

// A UsageError when `dir` holds no plan.json written by `moelaw submit`.
ExperimentStatus experiment_status(const ExperimentDir& dir);

}  // namespace moelaw::launcher
