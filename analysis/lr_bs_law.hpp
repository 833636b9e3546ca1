#pragma once
// The learning-rate × batch-size law of the Step Law (Li et al. 2025, "Predictable Scale: Part I"):
// LR*(N, D) = eta0·N^eta_n·D^eta_d and BS*(D) = b0·D^b_d, N = n_act_nonembedding, D = tokens,
// batch size in tokens (`batch_tokens`), from two-dimensional sweeps: runs of one (N, D) over a
// grid of LRs and batch sizes. The optimum of each group is located by two recipes, whose
// coefficients are both reported (their spread says how much the recipe matters), and the
// coefficients are bootstrapped by resampling the runs of every group.
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/runs_table.hpp"
#include "model/step_law.hpp"

namespace moelaw::analysis {

enum class OptimumRecipe {
  surface,  // vertex of loss = quadratic in (ln LR, ln BS) with the cross term, over the group's runs
  band,     // geometric mean of the runs within `band` (relative) of the group's best loss
};

struct LrBsGroup {
  double n = 0, tokens = 0;
  long first_line = 0;                    // first row of the group in the table
  std::vector<double> lr, batch, loss;    // the group's runs
  double best_lr = 0, best_batch = 0;     // from the chosen recipe
  double band_lr = 0, band_batch = 0;     // from each recipe
  double surface_lr = 0, surface_batch = 0;
  bool surface_ok = false;                // false: the quadratic had no interior minimum, band used
  size_t band_runs = 0;
};

using LrBsCoefficients = model::StepLaw;  // lr(N, D) and batch_tokens(D) of the fitted law

struct LrBsInterval {
  std::string name;
  double lo, hi;  // 2.5th and 97.5th percentiles
};

struct LrBsFit {
  OptimumRecipe recipe = OptimumRecipe::surface;
  double band = 0.005;
  LrBsCoefficients coefficients;   // of the chosen recipe
  LrBsCoefficients by_surface, by_band;
  std::vector<LrBsGroup> groups;
  double rmse_lr = 0, rmse_batch = 0;  // of ln LR* and ln BS* against the fitted law
  std::vector<LrBsInterval> intervals;
  int bootstrap = 0;
};

struct LrBsOptions {
  OptimumRecipe recipe = OptimumRecipe::surface;
  double band = 0.005;
  int bootstrap = 200;
  uint64_t seed = 1;
};

// The five coefficients as (name, value), in the published order.
std::vector<std::pair<std::string, double>> named(const LrBsCoefficients& c);

// Groups the rows by (n_act_nonembedding, tokens). Each group needs at least 3 distinct values of
// `lr` and of `batch_tokens`; the groups must span 2 values of N and 2 of D, not all on one line.
// Anything less, or a missing column or bad cell, is a UsageError naming row and column.
LrBsFit fit_lr_bs_law(const RunsTable& t, const LrBsOptions& options = {});

}  // namespace moelaw::analysis
