#pragma once
// The metrics of one run (RUN_DIR/metrics.h5): a row per optimizer step and per evaluation, plus
// named per-step series (MoE statistics). The file is small and rewritten atomically (temporary
// name, rename) at every log interval, so it can be read at any moment while the run goes on.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace moelaw::train {

struct StepMetrics {
  int64_t step = 0, tokens = 0;  // after the step
  double loss = 0, lr = 0, grad_norm = 0, tokens_per_second = 0;
};

struct EvalMetrics {
  int64_t step = 0, tokens = 0;
  double loss = 0;
};

class MetricsLog {
 public:
  std::vector<StepMetrics> steps;
  std::vector<EvalMetrics> evals;
  std::map<std::string, std::vector<double>> series;  // one value per step, aligned with steps

  void save(const std::string& path) const;
  // A missing file is an empty log; an unreadable one is an error.
  static MetricsLog load(const std::string& path);
  // Drops everything after `step` (a resumed run recomputes those steps).
  void truncate_after(int64_t step);
  // For a run resumed at `step`: the log up to it. An unreadable file never stops the resume: it
  // is renamed aside (PATH.unreadable-N) and the log starts empty; `note` says so.
  static MetricsLog load_for_resume(const std::string& path, int64_t step, std::string* note);
};

}  // namespace moelaw::train
