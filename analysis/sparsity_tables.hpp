#pragma once
// `moelaw optimal --law sparsity`: for each budget C and total N the optimal sparsity S* and its
// loss, and for each budget and S the compute-optimal N, N_a and D; as JSON and Markdown.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/report.hpp"
#include "analysis/sparsity_optimal.hpp"

namespace moelaw::analysis {

struct SparsityTablesRequest {
  std::vector<double> budgets, totals, sparsities;
};

struct SparsityTables {
  Coefficients coefficients;
  std::vector<SparseModel> optimal_sparsity;  // budget-major, total-minor
  std::vector<SparseModel> compute_optimal;   // budget-major, sparsity-minor
};

// UsageError when the coefficients are not the sparsity law's (naming `source`).
SparsityTables sparsity_tables(const FitReport& fit, const std::string& source, const SparsityTablesRequest& request);
nlohmann::json to_json(const SparsityTables& t);
std::string to_markdown(const SparsityTables& t);

}  // namespace moelaw::analysis
