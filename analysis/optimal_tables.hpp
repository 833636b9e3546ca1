#pragma once
// The workflow behind `moelaw optimal --law joint`: from fitted joint-law coefficients, the per-E
// Chinchilla reduction, the compute-optimal table, and (when asked) the memory-constrained and
// training-plus-inference optima, as JSON and as Markdown tables.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/inference_cost.hpp"
#include "analysis/optimal.hpp"
#include "analysis/report.hpp"

namespace moelaw::analysis {

struct JointOptimalRequest {
  std::vector<double> budgets, experts;
  std::optional<MemorySpec> memory;
  std::optional<double> inference_tokens;
  // Inference-aware optima (inference_cost.hpp): per budget, the cheapest model to serve that
  // reaches each target loss, and the lowest loss whose serving costs at most each bound.
  std::vector<double> target_losses, cost_bounds;
  GpuSpec gpu;
  ServingSpec serving;
};

struct ServedOptimum {
  double budget = 0, target = 0;  // the target loss or the cost bound
  InferenceOptimum best;
  std::vector<InferenceOptimum> per_experts;
};

struct JointOptimalTables {
  Coefficients coefficients;
  std::vector<Reduced> reduced;                   // one per E
  std::vector<Optimum> compute, memory, inference;  // budget-major, E-minor
  std::vector<ServedOptimum> cost_for_loss, loss_for_cost;  // budget-major
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
