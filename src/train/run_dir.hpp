#pragma once
// The layout of a run directory:
//   config.toml                 the resolved configuration of the run
//   checkpoints/step-NNNNNNNN.h5  checkpoints (HDF5), newest = highest step
//   metrics.h5                  per-step and evaluation metrics (train/metrics_log.hpp)
//   summary.json                written when the run completes: what the analysis collects (train/run_summary.hpp)
//   trainer.lock                held by the live trainer (train/run_lock.hpp)
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "train/run_summary.hpp"

namespace moelaw::train {

class RunDir {
 public:
  explicit RunDir(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  std::string config_path() const { return path_ + "/config.toml"; }
  std::string metrics_path() const { return path_ + "/metrics.h5"; }
  std::string summary_path() const { return path_ + "/summary.json"; }
  std::string checkpoint_dir() const { return path_ + "/checkpoints"; }
  std::string checkpoint_path(int64_t step) const;
  // A checkpoint pinned at a token count (kept by retention): where cooldown runs branch off.
  std::string pin_path(int64_t tokens) const;

  void create() const;  // the directory and checkpoints/
  // Checkpoint files, oldest first (by step in the name).
  std::vector<std::string> checkpoints() const;
  bool complete() const;  // summary.json exists and says complete
  std::optional<RunSummary> summary() const;  // nullopt if none; unreadable: std::runtime_error
  // Removes what writers killed mid-write left (.NAME.tmp-PID beside config.toml, metrics.h5,
  // summary.json and in checkpoints/); only safe while holding the run's lock. Returns the paths.
  std::vector<std::string> remove_temporaries() const;

 private:
  std::string path_;
};

// Step number in a checkpoint file name ("step-00000120.h5" -> 120), or -1.
int64_t checkpoint_step(const std::string& path);

}  // namespace moelaw::train
