#include "train/schedule.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>

namespace moelaw::train {

int64_t Schedule::step_tokens(int64_t tokens_seen) const {
  int64_t size = ramp_sizes.front();
  for (size_t i = 0; i < ramp_tokens.size(); ++i)
    if (tokens_seen >= ramp_tokens[i]) size = ramp_sizes[i];
  int64_t remaining = total_tokens - tokens_seen;
  if (remaining <= 0) return 0;
  int64_t remaining_sequences = (remaining + seq_len - 1) / seq_len;
  return std::min(size, remaining_sequences * seq_len);
}

int64_t Schedule::boundary_at_or_before(int64_t t) const {
  // Segment i of the ramp starts at the first boundary at or after ramp_tokens[i].
  int64_t start = 0;
  for (size_t i = 0; i < ramp_sizes.size(); ++i) {
    int64_t size = ramp_sizes[i];
    int64_t next = i + 1 < ramp_tokens.size() ? ramp_tokens[i + 1] : INT64_MAX;
    int64_t next_start = next == INT64_MAX ? INT64_MAX : start + std::max<int64_t>(0, (next - start + size - 1) / size) * size;
    if (t < next_start) return start + (t - start) / size * size;
    start = next_start;
  }
  return start;
}

int64_t Schedule::decay_start() const {
  if (decay_fraction <= 0) return total_tokens;
  auto target = static_cast<int64_t>(static_cast<double>(total_tokens) * (1.0 - decay_fraction));
  return boundary_at_or_before(target);
}

double Schedule::lr(int64_t tokens_seen) const {
  double rate = peak_lr;
  if (warmup_tokens > 0) {
    double done = static_cast<double>(tokens_seen + step_tokens(tokens_seen));
    rate *= std::min(1.0, done / static_cast<double>(warmup_tokens));
  }
  if (decay_fraction > 0) {
    int64_t start = decay_start();
    if (tokens_seen >= start) {
      double left = static_cast<double>(total_tokens - tokens_seen) / static_cast<double>(total_tokens - start);
      rate *= std::clamp(left, 0.0, 1.0);
    }
  }
  return rate;
}

}  // namespace moelaw::train
