#pragma once
// The workflow behind `moelaw optimal --law joint`: from fitted joint-law coefficients, the per-E
// Chinchilla reduction, the compute-optimal table, and (when asked) the memory-constrained and
// training-plus-inference optima, as JSON and as Markdown tables.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/optimal.hpp"
#include "analysis/report.hpp"

namespace moelaw::analysis {

struct JointOptimalRequest {
  std::vector<double> budgets, experts;
  std::optional<MemorySpec> memory;
  std::optional<double> inference_tokens;
};

struct JointOptimalTables {
  Coefficients coefficients;
  std::vector<Reduced> reduced;                   // one per E
  std::vector<Optimum> compute, memory, inference;  // budget-major, E-minor
  JointOptimalRequest request;
};

// UsageError when the coefficients are not the joint law's (naming `source`).
JointOptimalTables joint_optimal_tables(const FitReport& fit, const std::string& source,
                                        const JointOptimalRequest& request);
nlohmann::json to_json(const JointOptimalTables& t);
std::string to_markdown(const JointOptimalTables& t);

// "%.4g", as the optimal tables print every number.
std::string short_number(double x);

}  // namespace moelaw::analysis
