#pragma once
// The IsoFLOP surface of Abnar et al. 2025 (their eq. 8): at one training budget, the loss as a
// quadratic in x = ln N (total parameters) and y = −ln(1−S) with the product term,
// L = c0 + c_n·x + c_s·y + c_nn·x² + c_ss·y² + c_ns·x·y, by least squares, and the optimum it
// implies (its vertex, when the surface has a minimum).
#include <string>
#include <vector>

#include "analysis/runs_table.hpp"

namespace moelaw::analysis {

struct IsoflopFit {
  double budget = 0;  // FLOPs: the `flops` column, else 6·n_act·tokens (runs within 2% grouped)
  double c0 = 0, c_n = 0, c_s = 0, c_nn = 0, c_ss = 0, c_ns = 0;
  double rmse = 0;    // of L
  size_t runs = 0;
  bool has_minimum = false;  // the quadratic is convex: its vertex is the optimum
  double n_total = 0, sparsity = 0, loss = 0;  // the vertex
  std::vector<std::pair<std::string, double>> coefficients() const;
};

// One fit per budget. A budget needs 6 runs over at least 3 values of N and 3 of S; anything
// less, a missing column or bad cell is a UsageError naming file, row and column.
std::vector<IsoflopFit> fit_isoflop(const RunsTable& t);

}  // namespace moelaw::analysis
