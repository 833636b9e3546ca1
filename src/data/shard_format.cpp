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
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw UsageError(path + ": cannot open shard: " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  size_t bytes = static_cast<size_t>(st.st_size);
  if (bytes < kShardHeaderBytes) {
    ::close(fd);
    throw UsageError(path + ": not a token shard: " + std::to_string(bytes) +
                     " bytes, shorter than the 1024-byte header");
  }
  map_ = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw std::runtime_error(path + ": mmap failed: " + std::strerror(errno));
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
}

Shard::Shard(Shard&& o) noexcept
    : path_(std::move(o.path_)), map_(o.map_), map_bytes_(o.map_bytes_), header_(o.header_),
      tokens_(o.tokens_), count_(o.count_) {
  o.map_ = nullptr;
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
