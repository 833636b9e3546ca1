#pragma once
// The batches one rank trains and evaluates on: its contiguous slice of each step's sequences of
// the shuffled training stream, and of the fixed held-out sequences, split into inputs and
// next-token targets. The slices tile the step, so the global batch is the same on any number of
// ranks (data/sequence_stream.hpp).
#include <cstdint>
#include <memory>
#include <vector>

#include "config/run_config.hpp"
#include "data/sequence_stream.hpp"

namespace moelaw::train {

// Sequences per micro-step and rank: train.micro_batch, or up to 8 of the largest step's share.
int64_t micro_batch(const config::RunConfig& config, int ranks);

class Batches {
 public:
  // Opens the shards of data.train and data.val (UsageError naming what is wrong).
  Batches(const config::RunConfig& config, int rank, int ranks);

  // This rank's slice of sequences [cursor, cursor + sequences) of the training stream.
  void read_training(int64_t cursor, int64_t sequences);
  // This rank's slice of the held-out sequences.
  void read_held_out();

  int64_t count() const { return count_; }  // sequences read by the last call
  const int32_t* inputs() const { return inputs_.data(); }
  const int32_t* targets() const { return targets_.data(); }
  int64_t targets_present() const;  // of the last call's positions, those with a target

 private:
  void read(const data::SequenceStream& stream, int64_t first, int64_t sequences);
  int64_t seq_len_, rank_, ranks_;
  std::unique_ptr<data::SequenceStream> train_, val_;
  int64_t eval_sequences_ = 0, count_ = 0;
  std::vector<int32_t> windows_, inputs_, targets_;
};

}  // namespace moelaw::train
