#pragma once
// Expands an experiment grid into runs with checkpoint reuse (DESIGN.md, "Training schedule"):
// per (model, LR, seed), one constant-LR trunk to the decay start of the longest length, with a
// pinned checkpoint at the decay start of every length, and one cooldown run per length that
// branches from the trunk there and decays to its own end.
#include <cstdint>
#include <string>
#include <vector>

#include "launcher/experiment.hpp"

namespace moelaw::launcher {

struct PlannedRun {
  std::string name;           // directory name under EXP_DIR/runs, unique within the experiment
  std::string role;           // "trunk" or "cooldown"
  std::string model;
  int64_t target_tokens = 0;  // train.tokens
  int64_t start_tokens = 0;   // where it starts (the branch point for cooldowns)
  std::string init_from;      // cooldowns: the trunk's name
  std::vector<int64_t> pins;  // trunks: the branch points, kept as checkpoints
  double lr = 0;              // peak LR
  bool lr_from_law = false;
  int64_t seed = 0;
  int64_t experts = 1, top_k = 1, granularity = 1;
  double n_act = 0, n_total = 0, n_act_nonembedding = 0;
  double flops = 0;           // 6 * n_act * tokens this run trains
  std::vector<std::string> settings;  // KEY=VALUE given to `moelaw train --set`
  std::string config_toml;            // the resolved configuration: what the job trains
  std::vector<std::pair<int64_t, int64_t>> batch_ramp;  // (from tokens, tokens per step) in range
};

struct Plan {
  std::vector<PlannedRun> runs;
  int64_t tokens_with_reuse = 0;     // what the plan trains
  int64_t tokens_without_reuse = 0;  // independent runs of every length
  double flops_with_reuse = 0, flops_without_reuse = 0;
};

Plan make_plan(const Experiment& experiment);

std::string format_tokens(double tokens);  // "19.1B", "640M", "12.3K"

}  // namespace moelaw::launcher
