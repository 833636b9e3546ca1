#pragma once
// Token shards in llm.c's layout, so users can point moelaw at FineWeb-Edu shards they already
// have: a header of 256 int32 (magic 20240520, version 1, token count, the rest 0), then the
// tokens as uint16. Each document starts with <|endoftext|> (50256).
#include <cstdint>
#include <string>
#include <vector>

namespace moelaw::data {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;
constexpr size_t kShardHeaderInts = 256;
constexpr size_t kShardHeaderBytes = kShardHeaderInts * sizeof(int32_t);
constexpr uint16_t kEndOfText = 50256;

// Writes tokens to PATH through a temporary file in the same directory: fsync, rename, directory
// fsync, so an interrupted write never leaves a partial shard under the final name.
void write_shard(const std::string& path, const std::vector<uint16_t>& tokens);

// A read-only memory-mapped shard. Opening validates the header and the size; a bad file is a
// UsageError naming it and what is wrong (a directory, magic, version, size). The file stays open:
// read() copies tokens with pread, so a shard truncated while in use is an error naming it, not
// the SIGBUS that touching its mapping past the new end would be.
class Shard {
 public:
  explicit Shard(const std::string& path);
  ~Shard();
  Shard(Shard&& other) noexcept;
  Shard& operator=(Shard&&) = delete;
  Shard(const Shard&) = delete;

  const std::string& path() const { return path_; }
  int32_t magic() const { return header_[0]; }
  int32_t version() const { return header_[1]; }
  int64_t size() const { return count_; }  // tokens
  const uint16_t* tokens() const { return tokens_; }
  // Copies tokens [first, first + count) to out; std::runtime_error naming the file if it has
  // shrunk since it was opened.
  void read(int64_t first, int64_t count, uint16_t* out) const;

 private:
  std::string path_;
  int fd_ = -1;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  const int32_t* header_ = nullptr;
  const uint16_t* tokens_ = nullptr;
  int64_t count_ = 0;
};

// The first token of `shard` that is not below vocab_size, as a UsageError naming the file, the
// token's offset and its byte offset; nothing if every id is in the vocabulary.
void check_token_ids(const Shard& shard, int64_t vocab_size);
// That error for token `id` at token `offset` of the shard at `path`.
[[noreturn]] void throw_token_id_error(const std::string& path, uint16_t id, int64_t offset, int64_t vocab_size);

// Shards matching the globs, sorted by name within each glob, without duplicates. A glob that
// matches nothing is a UsageError naming it.
std::vector<std::string> expand_shard_globs(const std::vector<std::string>& globs, const std::string& what);

}  // namespace moelaw::data
