#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "common/file_io.hpp"

namespace moelaw {

namespace {

std::string directory_of(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return dir.empty() ? "." : dir.string();
}

[[noreturn]] void fail(const std::string& temporary, const std::string& path, const std::string& what, int err) {
  ::unlink(temporary.c_str());
  throw std::runtime_error("writing " + path + " failed: " + what + ": " + std::strerror(err));
}

}  // namespace

std::string temporary_path_for(const std::string& path) {
  // Appends, not "literal" + string: GCC 12 warns falsely (-Wrestrict) on the latter.
  std::string name = std::string(".")
                         .append(std::filesystem::path(path).filename().string())
                         .append(".tmp-")
                         .append(std::to_string(getpid()));
  return (std::filesystem::path(directory_of(path)) / name).string();
}

void commit_temporary(const std::string& temporary, const std::string& path) {
  int fd = ::open(temporary.c_str(), O_RDONLY);
  if (fd < 0) fail(temporary, path, "reopening " + temporary, errno);
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    fail(temporary, path, "fsync", err);
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail(temporary, path, "rename", errno);
  int dfd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomically(const std::string& path, const std::vector<std::string_view>& parts) {
  const std::string tmp = temporary_path_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
  for (std::string_view part : parts) {
    const char* p = part.data();
    size_t left = part.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = n < 0 ? errno : ENOSPC;
        ::close(fd);
        fail(tmp, path, "write", err);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (::close(fd) != 0) fail(tmp, path, "close", errno);
  commit_temporary(tmp, path);
}

bool write_file_atomically_if_changed(const std::string& path, const std::string& text) {
  if (read_file_if_exists(path) == text) return false;
  write_file_atomically(path, {text});
  return true;
}

}  // namespace moelaw
