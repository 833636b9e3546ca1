#pragma once
// A small, reusable harness for checking operations: deterministic random inputs, central finite
// differences, and element-wise comparison with a stated tolerance that reports the worst entry.
// Used by the op-level and whole-model gradient tests; a CUDA-vs-CPU test compares two backends'
// outputs with the same compare().
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace moelaw::testing {

// |actual − expected| ≤ atol + rtol·max(|actual|, |expected|), entry by entry.
struct Tolerance {
  double rtol;
  double atol;
};

struct Comparison {
  bool ok = true;
  size_t count = 0;
  size_t worst = 0;          // index of the entry furthest beyond (or closest to) its bound
  double worst_ratio = 0;    // |error| / bound there; ok means ≤ 1
  double max_abs_error = 0;
  double expected_at_worst = 0, actual_at_worst = 0;

  std::string describe(const std::string& what) const {
    std::ostringstream s;
    s.precision(17);
    s << what << ": " << count << " entries, max |error| " << max_abs_error << ", worst at [" << worst
      << "] expected " << expected_at_worst << " got " << actual_at_worst << " (error/bound "
      << worst_ratio << ")";
    return s.str();
  }
};

template <typename A, typename B>
Comparison compare(const A& expected, const B& actual, Tolerance tol) {
  Comparison c;
  c.count = std::min(expected.size(), actual.size());
  c.ok = expected.size() == actual.size();
  for (size_t i = 0; i < c.count; ++i) {
    const double e = double(expected[i]), a = double(actual[i]);
    const double err = std::abs(a - e);
    const double bound = tol.atol + tol.rtol * std::max(std::abs(a), std::abs(e));
    const double ratio = bound > 0 ? err / bound : (err > 0 ? INFINITY : 0);
    c.max_abs_error = std::max(c.max_abs_error, err);
    if (!(ratio <= 1)) c.ok = false;  // also catches NaN
    if (!(ratio <= c.worst_ratio)) {
      c.worst_ratio = ratio;
      c.worst = i;
      c.expected_at_worst = e;
      c.actual_at_worst = a;
    }
  }
  return c;
}

// splitmix64: a tiny deterministic generator, so fixtures never depend on the standard library.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

template <typename T = double>
std::vector<T> random_vector(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  std::vector<T> v(n);
  uint64_t state = seed;
  for (auto& x : v) x = T(lo + (hi - lo) * double(splitmix64(state) >> 11) * 0x1.0p-53);
  return v;
}

inline std::vector<int32_t> random_tokens(size_t n, int32_t vocab, uint64_t seed) {
  std::vector<int32_t> v(n);
  uint64_t state = seed;
  for (auto& t : v) t = int32_t(splitmix64(state) % uint64_t(vocab));
  return v;
}

// d loss / d x[i] by central differences, (f(x + h·e_i) − f(x − h·e_i)) / 2h, for the given
// indices (every index when empty). loss() reads x, which is restored after each probe.
template <typename T>
std::vector<double> numeric_gradient(const std::function<double()>& loss, std::vector<T>& x, double h,
                                     const std::vector<size_t>& indices = {}) {
  std::vector<size_t> at = indices;
  if (at.empty())
    for (size_t i = 0; i < x.size(); ++i) at.push_back(i);
  std::vector<double> g(at.size());
  for (size_t j = 0; j < at.size(); ++j) {
    const T saved = x[at[j]];
    x[at[j]] = saved + T(h);
    const double up = loss();
    x[at[j]] = saved - T(h);
    const double down = loss();
    x[at[j]] = saved;
    g[j] = (up - down) / (2 * h);
  }
  return g;
}

template <typename T>
double dot(const std::vector<T>& a, const std::vector<T>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
  return s;
}

}  // namespace moelaw::testing
