#pragma once
// Which checkpoints a run writes and keeps: one every checkpoint.interval_steps steps or
// checkpoint.interval_tokens tokens and at each pinned milestone; the newest checkpoint.keep_last
// step checkpoints stay, and a pinned milestone keeps a second name (pin-tokens-*.h5) that
// retention never removes, for the cooldown runs that branch from it.
#include <cstdint>
#include <string>

#include "config/run_config.hpp"
#include "train/run_dir.hpp"

namespace moelaw::train {

// Whether the step that took the run from tokens_before to tokens (its step-th) ends with a checkpoint.
bool checkpoint_due(const config::CheckpointConfig& config, int64_t step, int64_t tokens_before, int64_t tokens);

// After `written` (the checkpoint of `step`, at `tokens`) was committed: its pin if it is a
// milestone, then the removal of step checkpoints older than the newest keep_last. Checkpoints of
// later steps than `step` are never removed (they are not older than the one just written).
void keep_checkpoints(const RunDir& run, const config::CheckpointConfig& config, const std::string& written,
                      int64_t step, int64_t tokens);

}  // namespace moelaw::train
