#include "train/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "common/errors.hpp"

namespace moelaw::train {

namespace {

std::string lock_path(const RunDir& run) { return run.path() + "/trainer.lock"; }

long pid_in(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 ? std::atol(buf) : 0;
}

}  // namespace

RunLock RunLock::acquire(const RunDir& run) {
  run.create();
  const std::string path = lock_path(run);
  RunLock lock;
  lock.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock.fd_ < 0) throw UsageError(path + ": cannot open the run's lock file: " + std::strerror(errno));
  // A `status` that tests the lock holds it for an instant: try for a second before refusing.
  for (int attempt = 0;; ++attempt) {
    if (::flock(lock.fd_, LOCK_EX | LOCK_NB) == 0) break;
    if (errno == ENOLCK || errno == EOPNOTSUPP) {
      std::fprintf(stderr, "warning: %s: the file system does not lock files (%s): a second trainer on this run "
                           "directory would not be noticed\n", path.c_str(), std::strerror(errno));
      return lock;
    }
    if (errno != EWOULDBLOCK) throw UsageError(path + ": cannot lock: " + std::strerror(errno));
    if (attempt == 50) throw UsageError(already_running_message(run, pid_in(lock.fd_)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock.fd_, 0) != 0 || ::pwrite(lock.fd_, pid.data(), pid.size(), 0) != ssize_t(pid.size()))
    std::fprintf(stderr, "warning: %s: cannot record this trainer's pid: %s\n", path.c_str(), std::strerror(errno));
  return lock;
}

RunLock RunLock::acquire_on_rank0(const RunDir& run, parallel::Communicator& world) {
  RunLock lock;
  std::string failure;
  if (world.rank() == 0) {
    try {
      lock = acquire(run);
    } catch (const std::exception& e) {  // a lock held elsewhere, or --out naming a file
      failure = e.what();
    }
  }
  if (world.allreduce_max(failure.empty() ? 0 : 1) > 0)
    throw UsageError(world.rank() == 0 ? failure : run.path() + ": rank 0 could not take the run's lock");
  return lock;
}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

std::optional<long> running_trainer(const RunDir& run) {
  const int fd = ::open(lock_path(run).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<long> holder;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) holder = pid_in(fd);
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return holder;
}

std::string already_running_message(const RunDir& run, long pid) {
  return run.path() + ": a trainer" + (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string()) +
         " is already training this run directory; one trainer per run: wait for it to end or stop it first";
}

}  // namespace moelaw::train
