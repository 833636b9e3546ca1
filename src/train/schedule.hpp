#pragma once
// The per-run schedule of DESIGN.md as functions of the tokens already trained:
// learning rate (linear warm-up, constant, linear decay to 0 over the last fraction of the run)
// and batch size (the ramp). Everything is a function of tokens so that a run resumed or branched
// from a checkpoint continues on exactly the same schedule.
#include <cstdint>
#include <vector>

namespace moelaw::train {

struct Schedule {
  double peak_lr;
  int64_t total_tokens;     // D
  int64_t warmup_tokens;
  double decay_fraction;    // 0: never decays (a constant-LR trunk)
  std::vector<int64_t> ramp_tokens, ramp_sizes;
  int64_t seq_len;

  // Tokens in the step that starts after `tokens_seen` tokens: the ramp's size, cut at the end of
  // the run to the whole sequences that remain.
  int64_t step_tokens(int64_t tokens_seen) const;
  // Steps start on a grid fixed by the ramp alone (0, then + the ramp's size each step), so runs of
  // different lengths share their step boundaries. The last boundary at or before t:
  int64_t boundary_at_or_before(int64_t t) const;
  // Where the decay begins: the grid boundary at or before (1 - decay_fraction) * D. A run of
  // length D branched from a constant-LR trunk at this point equals the standalone run bit for bit.
  int64_t decay_start() const;
  // LR of the step starting at tokens_seen, which will train on step_tokens(tokens_seen) tokens.
  // Warm-up counts the step's own tokens so the first step has a non-zero rate.
  double lr(int64_t tokens_seen) const;
};

}  // namespace moelaw::train
