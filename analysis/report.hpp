#pragma once
// What a fit reports and the files it is written to: coefficients as TOML and JSON, and the
// coefficient table as Markdown and LaTeX.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/bootstrap.hpp"
#include "analysis/law_spec.hpp"

namespace moelaw::analysis {

struct FitReport {
  std::string law;
  std::string group;  // "experts=8" for `--by experts`, else empty
  Coefficients coefficients;
  std::vector<Interval> intervals;  // empty without --bootstrap
  double objective = 0, huber_delta = 0;
  double rmse_train = 0, rmse_holdout = 0;  // RMSE of ln L (NaN: no held-out runs)
  size_t n_train = 0, n_holdout = 0, starts = 0, failed_starts = 0;
  size_t solved_starts = 0;  // starts L-BFGS ran from (all of them with --exhaustive)
};

// {law, coefficients, rmse_train, rmse_holdout, ...}; NaN becomes null.
nlohmann::json to_json(const FitReport& r);
// Reads back what to_json/to_toml wrote (or `fit --json` printed): law and coefficients.
// A file of another shape is a UsageError naming it.
FitReport read_coefficients(const std::string& path);

std::string to_toml(const FitReport& r);
std::string markdown_table(const std::vector<FitReport>& fits);
std::string latex_table(const std::vector<FitReport>& fits);


}  // namespace moelaw::analysis
