#pragma once
// One live trainer per run directory: the trainer holds an flock(2) on RUN_DIR/trainer.lock for
// as long as it runs. The kernel releases it when the process ends, however it ends (kill -9
// included), so a stale lock file is harmless; the file holds the holder's pid for messages.
#include <optional>
#include <string>

#include "parallel/communicator.hpp"
#include "train/run_dir.hpp"

namespace moelaw::train {

class RunLock {
 public:
  RunLock() = default;
  // Creates the run directory and takes its lock, or throws UsageError naming the pid of the
  // trainer that holds it. On a file system without locks (ENOLCK), warns and goes on unlocked.
  static RunLock acquire(const RunDir& run);
  // Rank 0 takes the lock; every rank throws when it could not (collective over `world`).
  static RunLock acquire_on_rank0(const RunDir& run, parallel::Communicator& world);
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

 private:
  int fd_ = -1;
};

// The pid of the live trainer holding the run's lock (0 when it holds it but wrote no pid), or
// nullopt when no process holds it.
std::optional<long> running_trainer(const RunDir& run);

// "RUN: a trainer (pid N) is already training this run directory ...": for commands that refuse
// to start a second one.
std::string already_running_message(const RunDir& run, long pid);

}  // namespace moelaw::train
