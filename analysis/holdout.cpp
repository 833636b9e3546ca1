#include "analysis/holdout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "common/errors.hpp"

namespace moelaw::analysis {

Split split_holdout(const RunsTable& t, const std::vector<Sample>& samples, const std::string& spec) {
  Split s;
  std::vector<bool> held(samples.size(), false);
  if (spec.rfind("lowest-loss:", 0) == 0) {
    std::string k_text = spec.substr(12);
    char* end = nullptr;
    long k = std::strtol(k_text.c_str(), &end, 10);
    if (k_text.empty() || *end != '\0' || k < 1 || static_cast<size_t>(k) >= samples.size())
      throw UsageError("--holdout " + spec + ": K must be a whole number between 1 and " +
                       std::to_string(samples.size() - 1) + " (the runs)");
    std::vector<size_t> order(samples.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return samples[a].ln_loss < samples[b].ln_loss; });
    for (long i = 0; i < k; ++i) held[order[i]] = true;
  } else if (!spec.empty()) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--holdout " + spec + ": expected lowest-loss:K or COLUMN=VALUE");
    std::string column = spec.substr(0, eq), value_text = spec.substr(eq + 1);
    char* end = nullptr;
    double value = std::strtod(value_text.c_str(), &end);
    if (value_text.empty() || *end != '\0') throw UsageError("--holdout " + spec + ": '" + value_text + "' is not a number");
    bool derived = column == "sparsity" && t.column_index("sparsity") < 0;
    if (!derived && t.column_index(column) < 0) throw UsageError(t.source + ": missing column '" + column + "' (--holdout)");
    for (size_t r = 0; r < samples.size(); ++r) {
      double v = derived ? row_sparsity(t, r) : cell_number(t, r, column, false);
      held[r] = std::abs(v - value) <= 1e-9 * std::max(1.0, std::abs(value));
    }
  }
  for (size_t r = 0; r < samples.size(); ++r) (held[r] ? s.holdout : s.train).push_back(r);
  return s;
}

std::vector<Sample> pick(const std::vector<Sample>& samples, const std::vector<size_t>& rows) {
  std::vector<Sample> out;
  out.reserve(rows.size());
  for (size_t r : rows) out.push_back(samples[r]);
  return out;
}

}  // namespace moelaw::analysis
