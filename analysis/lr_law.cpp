#include "analysis/lr_law.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include <Eigen/Dense>

#include "analysis/law_spec.hpp"
#include "analysis/linear_solve.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

void best_of_sweep(LrSweep& s) {
  std::vector<size_t> order(s.lr.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.lr[a] < s.lr[b]; });
  std::vector<double> lr, loss;
  for (size_t i : order) lr.push_back(s.lr[i]), loss.push_back(s.loss[i]);
  s.lr = lr;
  s.loss = loss;
  size_t best = std::min_element(loss.begin(), loss.end()) - loss.begin();
  s.best_lr = lr[best];
  s.best_loss = loss[best];
  size_t lo = best >= 2 ? best - 2 : 0, hi = std::min(lr.size() - 1, best + 2);
  if (hi - lo + 1 < 3) return;
  Eigen::MatrixXd a(hi - lo + 1, 3);
  Eigen::VectorXd y(hi - lo + 1);
  for (size_t i = lo; i <= hi; ++i) {
    double x = std::log(lr[i]);
    a.row(i - lo) << 1, x, x * x;
    y(i - lo) = loss[i];
  }
  Eigen::Vector3d q = least_squares(a, y);
  if (!(q(2) > 0)) return;
  double vertex = -q(1) / (2 * q(2));
  if (vertex < std::log(lr[lo]) || vertex > std::log(lr[hi])) return;
  s.q0 = q(0), s.q1 = q(1), s.q2 = q(2);
  s.best_lr = std::exp(vertex);
  s.best_loss = q(0) + q(1) * vertex + q(2) * vertex * vertex;
  s.from_parabola = true;
}

}  // namespace

LrFit fit_lr_law(const RunsTable& t) {
  std::map<std::pair<double, double>, LrSweep> groups;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    double n = cell_number(t, r, "n_act_nonembedding"), e = cell_number(t, r, "experts");
    LrSweep& s = groups[{n, e}];
    s.n = n, s.experts = e;
    s.lr.push_back(cell_number(t, r, "lr"));
    s.loss.push_back(cell_number(t, r, "final_loss"));
  }
  LrFit fit;
  for (auto& [key, s] : groups) {
    size_t distinct = std::set<double>(s.lr.begin(), s.lr.end()).size();
    if (distinct < 3)
      throw UsageError(t.source + ": the LR sweep of n_act_nonembedding=" + std::to_string(s.n) +
                       ", experts=" + std::to_string(s.experts) + " has " + std::to_string(distinct) +
                       " distinct values in column 'lr'; the LR law needs at least 3 per sweep");
    best_of_sweep(s);
    fit.sweeps.push_back(s);
  }
  std::set<double> ns, es;
  for (const auto& s : fit.sweeps) ns.insert(s.n), es.insert(s.experts);
  if (fit.sweeps.size() < 3 || ns.size() < 2 || es.size() < 2)
    throw UsageError(t.source + ": too few runs for the LR law: " + std::to_string(fit.sweeps.size()) +
                     " sweeps over " + std::to_string(ns.size()) + " values of column 'n_act_nonembedding' and " +
                     std::to_string(es.size()) + " of column 'experts'; need at least 3 sweeps, 2 of each");
  Eigen::MatrixXd a(fit.sweeps.size(), 3);
  Eigen::VectorXd y(fit.sweeps.size());
  for (size_t i = 0; i < fit.sweeps.size(); ++i) {
    a.row(i) << 1, std::log(fit.sweeps[i].n), std::log(fit.sweeps[i].experts);
    y(i) = std::log(fit.sweeps[i].best_lr);
  }
  Eigen::Vector3d c = least_squares(a, y);
  fit.c0 = c(0), fit.c1 = c(1), fit.c2 = c(2);
  double ss = 0;
  for (size_t i = 0; i < fit.sweeps.size(); ++i) {
    fit.sweeps[i].residual = y(i) - a.row(i).dot(c);
    ss += fit.sweeps[i].residual * fit.sweeps[i].residual;
  }
  fit.rmse = std::sqrt(ss / fit.sweeps.size());
  return fit;
}

}  // namespace moelaw::analysis
