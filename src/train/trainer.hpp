#pragma once
// The training loop of `moelaw train`: data-parallel over the ranks of a communicator, with the
// schedule of DESIGN.md, AdamW, gradient clipping, periodic evaluation, checkpoints (resume,
// branching, preemption) and metrics, all under one run directory (train/run_dir.hpp).
#include <string>

#include "config/run_config.hpp"
#include "parallel/communicator.hpp"

namespace moelaw::train {

struct TrainOptions {
  std::string run_dir;
  bool resume = false;    // --resume auto: continue from the newest valid checkpoint, if any
  std::string init_from;  // --init-from CHECKPOINT: branch from another run's checkpoint
};

// Returns the exit status: 0 when the run is complete (now or before), 75 when a signal stopped
// it after a checkpoint. Bad configuration or data throw UsageError; other failures throw.
int train(const config::RunConfig& config, const TrainOptions& options, parallel::Communicator& world);

}  // namespace moelaw::train
