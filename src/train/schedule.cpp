#include "train/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace moelaw::train {

double lr_law(double n_act_nonembedding, double experts) {
  return std::exp(8.39 - 0.81 * std::log(n_act_nonembedding) - 0.25 * std::log(experts));
}

int64_t Schedule::step_tokens(int64_t tokens_seen) const {
  int64_t size = ramp_sizes.front();
  for (size_t i = 0; i < ramp_tokens.size(); ++i)
    if (tokens_seen >= ramp_tokens[i]) size = ramp_sizes[i];
  int64_t remaining = total_tokens - tokens_seen;
  if (remaining <= 0) return 0;
  int64_t remaining_sequences = (remaining + seq_len - 1) / seq_len;
  return std::min(size, remaining_sequences * seq_len);
}

double Schedule::lr(int64_t tokens_seen) const {
  double rate = peak_lr;
  if (warmup_tokens > 0) {
    double done = static_cast<double>(tokens_seen + step_tokens(tokens_seen));
    rate *= std::min(1.0, done / static_cast<double>(warmup_tokens));
  }
  if (decay_fraction > 0) {
    double decay_start = static_cast<double>(total_tokens) * (1.0 - decay_fraction);
    double t = static_cast<double>(tokens_seen);
    if (t >= decay_start) {
      double left = (static_cast<double>(total_tokens) - t) / (static_cast<double>(total_tokens) - decay_start);
      rate *= std::clamp(left, 0.0, 1.0);
    }
  }
  return rate;
}

}  // namespace moelaw::train
