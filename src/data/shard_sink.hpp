#pragma once
// Fills token shards of exactly shard_tokens tokens (the last one shorter) in llm.c's naming:
// shard 0 is DIR/PREFIX_val_000000.bin (validation), the rest DIR/PREFIX_train_000001.bin, ...
#include <cstdint>
#include <string>
#include <vector>

namespace moelaw::data {

class ShardSink {
 public:
  ShardSink(std::string dir, std::string prefix, int64_t shard_tokens);

  void add(const std::vector<uint32_t>& ids);  // ids < 65536 (uint16 shards)
  void finish();                               // writes the last, shorter shard
  int shards() const { return index_; }
  int64_t tokens() const { return tokens_; }
  // The name shard `index` gets: PREFIX_val_000000.bin or PREFIX_train_NNNNNN.bin.
  static std::string shard_name(const std::string& prefix, int index);

 private:
  void flush();
  std::string dir_, prefix_;
  int64_t shard_tokens_;
  std::vector<uint16_t> buffer_;
  int index_ = 0;
  int64_t tokens_ = 0;
};

}  // namespace moelaw::data
