#include "analysis/bootstrap.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "common/errors.hpp"

namespace moelaw::analysis {

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * (v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

std::vector<Interval> bootstrap_intervals(const LawSpec& law, const std::vector<Sample>& train,
                                          const std::vector<double>& best, int refits, double fraction,
                                          const FitOptions& options, uint64_t seed) {
  if (refits < 2) throw UsageError("--bootstrap needs at least 2 refits");
  if (!(fraction > 0 && fraction <= 1)) throw UsageError("--fraction must be in (0, 1]");
  size_t size = std::max<size_t>(1, static_cast<size_t>(std::lround(fraction * train.size())));
  const size_t names = law.coefficients(best.data()).size();
  std::vector<std::vector<double>> values(names, std::vector<double>(refits));
  std::atomic<int> next{0};
  auto work = [&] {
    for (int b; (b = next.fetch_add(1)) < refits;) {
      // One generator per refit, seeded by its index: the same intervals with any thread count.
      std::mt19937_64 rng(seed * 1000003 + b);
      std::uniform_int_distribution<size_t> any(0, train.size() - 1);
      std::vector<Sample> sample(size);
      for (auto& s : sample) s = train[any(rng)];
      FitResult r = fit_from(law, sample, best, options);
      auto c = law.coefficients(r.params.data());
      for (size_t k = 0; k < names; ++k) values[k][b] = c[k].second;
    }
  };
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  std::vector<Interval> out;
  auto c = law.coefficients(best.data());
  for (size_t k = 0; k < names; ++k)
    out.push_back({c[k].first, percentile(values[k], 0.1), percentile(values[k], 0.9)});
  return out;
}

}  // namespace moelaw::analysis
