#include "train/batches.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"

namespace moelaw::train {

int64_t micro_batch(const config::RunConfig& cfg, int ranks) {
  int64_t max_sequences = 0;
  for (int64_t size : cfg.train.batch_ramp_sizes) max_sequences = std::max(max_sequences, size / cfg.model.seq_len);
  const int64_t per_rank = (max_sequences + ranks - 1) / ranks;
  return std::max<int64_t>(1, cfg.train.micro_batch > 0 ? cfg.train.micro_batch : std::min<int64_t>(per_rank, 8));
}

Batches::Batches(const config::RunConfig& cfg, int rank, int ranks)
    : seq_len_(cfg.model.seq_len), rank_(rank), ranks_(ranks) {
  train_ = std::make_unique<data::SequenceStream>(data::expand_shard_globs(cfg.data.train, "data.train"), seq_len_,
                                                  static_cast<uint64_t>(cfg.train.seed), true, cfg.model.vocab_size);
  val_ = std::make_unique<data::SequenceStream>(data::expand_shard_globs(cfg.data.val, "data.val"), seq_len_, 0,
                                                false, cfg.model.vocab_size);
  eval_sequences_ = std::clamp<int64_t>(cfg.train.eval_tokens / seq_len_, 1, val_->windows());
  if (cfg.model.experts > 1) {  // MoE ranks exchange tokens: every rank runs the same micro-batches
    eval_sequences_ -= eval_sequences_ % ranks;
    if (eval_sequences_ == 0)
      throw UsageError("data.val: fewer held-out sequences than ranks (rank " + std::to_string(rank) + ")");
  }
}

void Batches::read_training(int64_t cursor, int64_t sequences) {
  const int64_t first = sequences * rank_ / ranks_;
  count_ = sequences * (rank_ + 1) / ranks_ - first;
  read(*train_, cursor + first, count_);
}

void Batches::read_held_out() {
  const int64_t first = eval_sequences_ * rank_ / ranks_;
  count_ = eval_sequences_ * (rank_ + 1) / ranks_ - first;
  read(*val_, first, count_);
}

int64_t Batches::targets_present() const {
  return std::count_if(targets_.begin(), targets_.begin() + count_ * seq_len_, [](int32_t t) { return t >= 0; });
}

void Batches::read(const data::SequenceStream& stream, int64_t first, int64_t count) {
  const int64_t T = seq_len_;
  windows_.resize(static_cast<size_t>(std::max<int64_t>(count, 1) * (T + 1)));
  stream.read(first, count, windows_.data());
  inputs_.resize(static_cast<size_t>(std::max<int64_t>(count, 1) * T));
  targets_.resize(inputs_.size());
  for (int64_t s = 0; s < count; ++s) {
    const int32_t* window = windows_.data() + s * (T + 1);
    std::copy(window, window + T, inputs_.data() + s * T);
    std::copy(window + 1, window + T + 1, targets_.data() + s * T);
  }
}

}  // namespace moelaw::train
