#include "data/sequence_stream.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/errors.hpp"

namespace moelaw::data {

namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

int64_t permute_index(int64_t i, int64_t n, uint64_t key) {
  if (n <= 1) return 0;
  int half_bits = 1;
  while ((int64_t{1} << (2 * half_bits)) < n) ++half_bits;
  const uint64_t mask = (uint64_t{1} << half_bits) - 1;
  uint64_t x = static_cast<uint64_t>(i);
  do {
    uint64_t left = x >> half_bits, right = x & mask;
    for (uint64_t round = 0; round < 6; ++round) {
      uint64_t f = mix(key ^ (round * 0x632be59bd9b4e019ULL) ^ right) & mask;
      uint64_t next = left ^ f;
      left = right;
      right = next;
    }
    x = (left << half_bits) | right;
  } while (x >= static_cast<uint64_t>(n));  // cycle-walk back into [0, n)
  return static_cast<int64_t>(x);
}

SequenceStream::SequenceStream(const std::vector<std::string>& shard_paths, int64_t seq_len, uint64_t seed,
                               bool shuffle, int64_t vocab_size)
    : seq_len_(seq_len), vocab_size_(vocab_size), seed_(seed), shuffle_(shuffle) {
  for (const auto& p : shard_paths) {
    shards_.emplace_back(p);
    starts_.push_back(total_);
    total_ += shards_.back().size();
  }
  windows_ = total_ > seq_len_ ? (total_ - 1) / seq_len_ : 0;
  if (windows_ == 0)
    throw UsageError((shard_paths.empty() ? std::string("data") : shard_paths.front()) + ": the shards hold " +
                     std::to_string(total_) + " tokens, fewer than one sequence of seq_len + 1 = " +
                     std::to_string(seq_len_ + 1));
}

int64_t SequenceStream::window_of(int64_t g) const {
  int64_t epoch = g / windows_, j = g % windows_;
  if (!shuffle_) return j;
  return permute_index(j, windows_, mix(seed_ ^ mix(static_cast<uint64_t>(epoch) + 1)));
}

void SequenceStream::copy_tokens(int64_t position, int64_t count, int32_t* out) const {
  // Find the shard holding `position`, then copy across shard boundaries as needed.
  size_t s = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), position) - starts_.begin()) - 1;
  std::vector<uint16_t> buffer;
  while (count > 0) {
    const Shard& shard = shards_[s];
    int64_t offset = position - starts_[s];
    int64_t n = std::min(count, shard.size() - offset);
    buffer.resize(static_cast<size_t>(n));
    shard.read(offset, n, buffer.data());
    for (int64_t i = 0; i < n; ++i) {
      if (buffer[i] >= vocab_size_) throw_token_id_error(shard.path(), buffer[i], offset + i, vocab_size_);
      out[i] = buffer[i];
    }
    out += n;
    count -= n;
    position += n;
    ++s;
  }
}

void SequenceStream::read(int64_t first, int64_t count, int32_t* out) const {
  const int64_t width = seq_len_ + 1;
  for (int64_t i = 0; i < count; ++i) copy_tokens(window_of(first + i) * seq_len_, width, out + i * width);
}

}  // namespace moelaw::data
