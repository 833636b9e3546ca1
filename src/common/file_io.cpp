#include "common/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/errors.hpp"

namespace moelaw {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string read_open_file(const Fd& fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    const int err = errno;
    throw UsageError(path + ": cannot read: " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) throw UsageError(path + ": is a directory, not a file");
  std::string text;
  // The size is a hint only: pipes and /proc files say 0, and a file may grow while it is read.
  if (S_ISREG(st.st_mode) && st.st_size > 0) text.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      throw UsageError(path + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) return text;
    text.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

std::string read_file(const std::string& path, const std::string& cannot_open) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  const int err = errno;
  if (fd.get() < 0) throw UsageError(path + ": " + cannot_open + " (" + std::strerror(err) + ")");
  return read_open_file(fd, path);
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  const int err = errno;
  if (fd.get() < 0) {
    if (err == ENOENT || err == ENOTDIR) return std::nullopt;
    throw UsageError(path + ": cannot open: " + std::strerror(err));
  }
  return read_open_file(fd, path);
}

}  // namespace moelaw
