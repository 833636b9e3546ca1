#include "data/shard_format.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"

namespace moelaw::data {

void write_shard(const std::string& path, const std::vector<uint16_t>& tokens) {
  if (tokens.size() > static_cast<size_t>(INT32_MAX))
    throw std::runtime_error(path + ": more than 2^31 tokens do not fit the llm.c header");
  int32_t header[kShardHeaderInts] = {};
  header[0] = kShardMagic;
  header[1] = kShardVersion;
  header[2] = static_cast<int32_t>(tokens.size());
  write_file_atomically(path, {std::string_view(reinterpret_cast<const char*>(header), sizeof header),
                               std::string_view(reinterpret_cast<const char*>(tokens.data()),
                                                tokens.size() * sizeof(uint16_t))});
}

Shard::Shard(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw UsageError(path + ": cannot open shard: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    int err = errno;
    ::close(fd_);
    throw UsageError(path + ": cannot stat shard: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw UsageError(path + (S_ISDIR(st.st_mode) ? ": is a directory, not a token shard (give the .bin files, e.g. DIR/*.bin)"
                                                 : ": not a regular file, not a token shard"));
  }
  size_t bytes = static_cast<size_t>(st.st_size);
  if (bytes < kShardHeaderBytes) {
    ::close(fd_);
    throw UsageError(path + ": not a token shard: " + std::to_string(bytes) +
                     " bytes, shorter than the 1024-byte header");
  }
  map_ = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd_, 0);
  if (map_ == MAP_FAILED) {
    int err = errno;
    map_ = nullptr;
    ::close(fd_);
    throw std::runtime_error(path + ": mmap failed: " + std::strerror(err));
  }
  map_bytes_ = bytes;
  header_ = static_cast<const int32_t*>(map_);
  if (header_[0] != kShardMagic)
    throw UsageError(path + ": not a token shard: magic " + std::to_string(header_[0]) + ", expected " +
                     std::to_string(kShardMagic));
  if (header_[1] != kShardVersion)
    throw UsageError(path + ": unsupported shard version " + std::to_string(header_[1]) + ", expected " +
                     std::to_string(kShardVersion));
  count_ = header_[2];
  size_t expected = kShardHeaderBytes + 2 * static_cast<size_t>(std::max<int64_t>(count_, 0));
  if (count_ < 0 || bytes != expected)
    throw UsageError(path + ": size " + std::to_string(bytes) + " bytes does not match the header's " +
                     std::to_string(count_) + " tokens (expected 1024 + 2*" + std::to_string(count_) +
                     " = " + std::to_string(expected) + "); truncated or corrupt");
  tokens_ = reinterpret_cast<const uint16_t*>(static_cast<const char*>(map_) + kShardHeaderBytes);
}

Shard::~Shard() {
  if (map_) ::munmap(map_, map_bytes_);
  if (fd_ >= 0) ::close(fd_);
}

Shard::Shard(Shard&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), map_(o.map_), map_bytes_(o.map_bytes_), header_(o.header_),
      tokens_(o.tokens_), count_(o.count_) {
  o.map_ = nullptr;
  o.fd_ = -1;
}

void Shard::read(int64_t first, int64_t count, uint16_t* out) const {
  if (first < 0 || count < 0 || first + count > count_)
    throw std::out_of_range(path_ + ": tokens [" + std::to_string(first) + ", " + std::to_string(first + count) +
                            ") outside the shard's " + std::to_string(count_));
  char* dst = reinterpret_cast<char*>(out);
  size_t want = static_cast<size_t>(count) * sizeof(uint16_t);
  off_t at = static_cast<off_t>(kShardHeaderBytes + static_cast<size_t>(first) * sizeof(uint16_t));
  while (want > 0) {
    ssize_t got = ::pread(fd_, dst, want, at);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw std::runtime_error(path_ + ": read failed: " + std::strerror(errno));
    if (got == 0) {
      struct stat st {};
      ::fstat(fd_, &st);
      throw std::runtime_error(path_ + ": shard changed while in use: it now has " + std::to_string(st.st_size) +
                               " bytes, " + std::to_string(map_bytes_) + " when it was opened (truncated or rewritten?)");
    }
    dst += got;
    at += got;
    want -= static_cast<size_t>(got);
  }
}

void throw_token_id_error(const std::string& path, uint16_t id, int64_t offset, int64_t vocab_size) {
  throw UsageError(path + ": token id " + std::to_string(id) + " at token " + std::to_string(offset) + " (byte " +
                   std::to_string(kShardHeaderBytes + 2 * static_cast<size_t>(offset)) +
                   ") is outside the vocabulary of " + std::to_string(vocab_size));
}

void check_token_ids(const Shard& shard, int64_t vocab_size) {
  const uint16_t* t = shard.tokens();
  for (int64_t i = 0; i < shard.size(); ++i)
    if (t[i] >= vocab_size) throw_token_id_error(shard.path(), t[i], i, vocab_size);
}

std::vector<std::string> expand_shard_globs(const std::vector<std::string>& globs, const std::string& what) {
  if (globs.empty()) throw UsageError(what + ": no shard files given");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& pattern : globs) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == GLOB_NOMATCH || g.gl_pathc == 0) {
      globfree(&g);
      throw UsageError(what + ": '" + pattern + "' matches no file");
    }
    std::vector<std::string> found(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    globfree(&g);
    std::sort(found.begin(), found.end());
    for (auto& f : found)
      if (seen.insert(f).second) out.push_back(f);
  }
  return out;
}

}  // namespace moelaw::data
