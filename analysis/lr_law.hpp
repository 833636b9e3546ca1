#pragma once
// The learning-rate law from LR sweeps: per (model, E) sweep the best LR, then least squares for
// ln LR* = c0 + c1·ln N + c2·ln E, N = n_act_nonembedding.
#include <string>
#include <vector>

#include "analysis/runs_table.hpp"

namespace moelaw::analysis {

struct LrSweep {
  double n = 0, experts = 1;
  std::vector<double> lr, loss;  // the sweep's runs, by increasing LR
  // Best LR: the vertex of the parabola loss = q0 + q1·ln LR + q2·(ln LR)² fitted to the best run
  // and up to two neighbours on each side; the best run's own LR when that parabola does not open
  // upwards or its vertex leaves the window (a sweep whose optimum is at its edge).
  double best_lr = 0, best_loss = 0;
  bool from_parabola = false;
  double q0 = 0, q1 = 0, q2 = 0;
  double residual = 0;  // ln LR* − (c0 + c1 ln N + c2 ln E)
};

struct LrFit {
  double c0 = 0, c1 = 0, c2 = 0;
  std::vector<LrSweep> sweeps;
  double rmse = 0;  // of the residuals of ln LR*
};

// Groups the rows by (n_act_nonembedding, experts); a sweep needs at least 3 distinct LRs and the
// sweeps must span at least 3 distinct (ln N, ln E) points with both varying. Anything less, or a
// bad cell, is a UsageError naming what is missing.
LrFit fit_lr_law(const RunsTable& t);

}  // namespace moelaw::analysis
