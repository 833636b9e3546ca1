#pragma once
// Training data as one endless, deterministic stream of sequences of seq_len + 1 tokens (inputs
// and their next-token targets). The shards' tokens, concatenated, are cut into windows that
// start every seq_len tokens; epoch e visits every window once, in an order fixed by (seed, e)
// through a keyed Feistel permutation (no table, so any corpus size costs no memory).
//
// Sequence g of the stream is the same whatever the number of ranks: a step takes sequences
// [cursor, cursor + n) and each rank reads its own contiguous slice. The cursor, the number of
// sequences consumed, is the whole data state of a run, so resuming on any rank count is exact.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/shard_format.hpp"

namespace moelaw::data {

class SequenceStream {
 public:
  // shuffle = false reads windows in order (evaluation sets). A token id >= vocab_size met while
  // reading is a UsageError naming the shard and the token's offset in it.
  SequenceStream(const std::vector<std::string>& shard_paths, int64_t seq_len, uint64_t seed, bool shuffle,
                 int64_t vocab_size = 65536);

  int64_t seq_len() const { return seq_len_; }
  int64_t windows() const { return windows_; }   // sequences per epoch
  int64_t total_tokens() const { return total_; }

  // Window index of stream position g (epoch g / windows, shuffled within the epoch).
  int64_t window_of(int64_t g) const;
  // Writes sequences [first, first + count) of the stream, (seq_len + 1) tokens each, to out.
  void read(int64_t first, int64_t count, int32_t* out) const;

 private:
  void copy_tokens(int64_t position, int64_t count, int32_t* out) const;

  std::vector<Shard> shards_;
  std::vector<int64_t> starts_;  // position of each shard's first token in the concatenation
  int64_t seq_len_, windows_, total_ = 0, vocab_size_;
  uint64_t seed_;
  bool shuffle_;
};

// A bijection of [0, n) keyed by `key`: a balanced Feistel network on the next power of four,
// cycle-walking values that fall outside [0, n).
int64_t permute_index(int64_t i, int64_t n, uint64_t key);

}  // namespace moelaw::data
