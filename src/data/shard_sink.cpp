#include "data/shard_sink.hpp"

#include <algorithm>
#include <cstdio>

#include "data/shard_format.hpp"

namespace moelaw::data {

ShardSink::ShardSink(std::string dir, std::string prefix, int64_t shard_tokens)
    : dir_(std::move(dir)), prefix_(std::move(prefix)), shard_tokens_(shard_tokens) {}

std::string ShardSink::shard_name(const std::string& prefix, int index) {
  char name[64];
  std::snprintf(name, sizeof name, "_%s_%06d.bin", index == 0 ? "val" : "train", index);
  return prefix + name;
}

void ShardSink::add(const std::vector<uint32_t>& ids) {
  tokens_ += static_cast<int64_t>(ids.size());
  for (size_t i = 0; i < ids.size();) {
    size_t n = std::min(ids.size() - i, static_cast<size_t>(shard_tokens_) - buffer_.size());
    for (size_t k = 0; k < n; ++k) buffer_.push_back(static_cast<uint16_t>(ids[i + k]));
    i += n;
    if (static_cast<int64_t>(buffer_.size()) == shard_tokens_) flush();
  }
}

void ShardSink::finish() {
  if (!buffer_.empty()) flush();
}

void ShardSink::flush() {
  write_shard(dir_ + "/" + shard_name(prefix_, index_), buffer_);
  buffer_.clear();
  ++index_;
}

}  // namespace moelaw::data
