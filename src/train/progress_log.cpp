#include "train/progress_log.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace moelaw::train {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  return buf;
}

void ProgressLog::note(const std::string& line) const {
  if (!lead_) return;
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void ProgressLog::warn(const std::string& line) const {
  if (lead_) std::fprintf(stderr, "%s\n", line.c_str());
}

void ProgressLog::header(const std::string& run, int64_t parameters, int64_t held_here, int expert_ranks,
                         int64_t active_nonembedding, double peak_lr, int64_t tokens, int ranks) const {
  if (!lead_) return;
  const std::string held = expert_ranks > 0 ? " (" + std::to_string(held_here) + " on each rank: experts split over " +
                                                  std::to_string(expert_ranks) + " ranks)"
                                            : "";
  std::printf("run %s: %lld parameters%s (%lld active non-embedding), peak LR %.6g, %lld tokens, %d rank%s\n",
              run.c_str(), static_cast<long long>(parameters), held.c_str(),
              static_cast<long long>(active_nonembedding), peak_lr, static_cast<long long>(tokens), ranks,
              ranks > 1 ? "s" : "");
  std::fflush(stdout);
}

void ProgressLog::start(int64_t tokens) {
  started_ = Clock::now();
  tokens_at_start_ = tokens;
}

void ProgressLog::step(const StepLine& s) const {
  if (!lead_) return;
  const double rate = static_cast<double>(s.tokens - tokens_at_start_) / std::max(elapsed(), 1e-9);
  std::string moe = s.moe ? " | dropped " + std::to_string(100.0 * s.dropped_fraction).substr(0, 5) + "%" : "";
  std::printf("step %6lld | tokens %12lld/%lld | loss %.6f | lr %.3e | grad norm %.3f%s | %.0f tok/s | ETA %s\n",
              static_cast<long long>(s.step), static_cast<long long>(s.tokens),
              static_cast<long long>(s.target_tokens), s.loss, s.lr, s.grad_norm, moe.c_str(), rate,
              format_duration(static_cast<double>(s.target_tokens - s.tokens) / rate).c_str());
  std::fflush(stdout);
}

void ProgressLog::eval(int64_t step, double loss, int64_t tokens_evaluated) const {
  if (!lead_) return;
  std::printf("eval   %6lld | held-out loss %.6f over %lld tokens\n", static_cast<long long>(step), loss,
              static_cast<long long>(tokens_evaluated));
  std::fflush(stdout);
}

void ProgressLog::resumed(const std::string& checkpoint, int64_t step, int64_t tokens) const {
  if (!lead_) return;
  std::printf("resuming from %s (step %lld, %lld tokens)\n", checkpoint.c_str(), static_cast<long long>(step),
              static_cast<long long>(tokens));
  std::fflush(stdout);
}

void ProgressLog::stopped(int signal, int64_t step) const {
  if (!lead_) return;
  std::fprintf(stderr, "stopped by signal %d after step %lld: checkpoint written, resume with --resume auto\n",
               signal, static_cast<long long>(step));
}

void ProgressLog::done(int64_t steps, int64_t tokens, double held_out_loss) const {
  if (!lead_) return;
  std::printf("done: %lld steps, %lld tokens, held-out loss %.6f\n", static_cast<long long>(steps),
              static_cast<long long>(tokens), held_out_loss);
  std::fflush(stdout);
}

void ProgressLog::exchange_time(double exchange_seconds, bool host_time_only) const {
  if (!lead_) return;
  const double total = elapsed();
  // NCCL queues its transfers and returns: its figure is the host's share only.
  std::printf("expert all-to-all: %.2f s of %.2f s on rank 0 (%.1f%%)%s\n", exchange_seconds, total,
              100.0 * exchange_seconds / total, host_time_only ? ", host time only (NCCL runs asynchronously)" : "");
  std::fflush(stdout);
}

}  // namespace moelaw::train
