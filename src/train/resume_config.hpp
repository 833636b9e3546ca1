#pragma once
// A run continues only with the configuration it started with (RUN_DIR/config.toml): a resumed or
// finished run given other values is refused, naming the keys that differ. These may change:
//   train.eval_interval_steps, train.log_interval_steps   how often it evaluates and logs
//   checkpoint.interval_steps, checkpoint.interval_tokens, checkpoint.keep_last, checkpoint.pin_tokens
//   train.micro_batch, train.backend, parallel.expert, parallel.transport   where and in what
//                                          pieces it computes (the same sums up to rounding)
//   data.train, data.val                   when they name the same files (relative or absolute)
//   train.tokens                           when both configurations are constant-LR trunks
//                                          (train.decay_fraction = 0), which may be extended
#include <string>
#include <vector>

#include "config/run_config.hpp"
#include "train/progress_log.hpp"
#include "train/run_dir.hpp"

namespace moelaw::train {

const std::vector<std::string>& keys_a_resume_may_change();

// "key (recorded there, given here)" for each key that differs and may not; empty when none.
// `recorded_name` names the recorded configuration in messages.
std::vector<std::string> changed_keys(const std::string& recorded_toml, const std::string& recorded_name,
                                      const config::RunConfig& ours);

// Throws UsageError naming `config_path` and the keys that differ; nothing when the file is missing.
void check_same_configuration(const std::string& config_path, const config::RunConfig& ours);

// Whether the run is complete to train.tokens already (there is nothing to do). A complete
// constant-LR trunk given more tokens is extended with --resume auto (false, and a note); any
// other complete run given more tokens is a UsageError (a decayed LR cannot be made longer).
bool complete_already(const RunDir& run, const config::RunConfig& ours, bool resume, const ProgressLog& log);

}  // namespace moelaw::train
