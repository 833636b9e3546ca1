#pragma once
// For resume tests: the tiny run's uninterrupted loss curve (the reference every resumed run must
// equal), and a run started and sent a signal once it has printed a given step.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/tiny_run.hpp"

namespace moelaw::testing {

// The uninterrupted curve of tiny_config, computed once per test program.
inline const std::vector<double>& reference_curve() {
  static TempDir dir;
  static std::vector<double> curve = [] {
    auto r = train(tiny_config(dir.path.string()) + " --out " + (dir / "ref"));
    if (r.status != 0) throw std::runtime_error(r.err);
    return train_losses(dir / "ref");
  }();
  return curve;
}

// Starts `moelaw train ARGS` and sends `sig` once it has printed step `step`; its exit status.
inline int interrupt_at(const std::string& args, int step, int sig) {
  Process p("env OMP_NUM_THREADS=1 " + moelaw_command("train " + args));  // exec env: same pid
  char needle[32];
  std::snprintf(needle, sizeof needle, "step %6d ", step);
  if (!p.wait_for_line(needle)) return -1;
  p.signal(sig);
  return p.wait();
}

}  // namespace moelaw::testing
