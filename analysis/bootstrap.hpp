#pragma once
// Bootstrap intervals: refit on runs resampled with replacement (round(fraction·n) of them) and
// report the 10th and 90th percentiles of each published coefficient.
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/fit.hpp"

namespace moelaw::analysis {

// Linear interpolation between order statistics (numpy's default percentile); q in [0, 1].
double percentile(std::vector<double> v, double q);

struct Interval {
  std::string name;
  double p10, p90;
};

// Each refit starts from the full fit's optimum `best` (one L-BFGS run instead of the whole grid:
// resampling moves the optimum a little, not to another basin). Refits run in parallel.
std::vector<Interval> bootstrap_intervals(const LawSpec& law, const std::vector<Sample>& train,
                                          const std::vector<double>& best, int refits, double fraction,
                                          const FitOptions& options, uint64_t seed = 1);

}  // namespace moelaw::analysis
