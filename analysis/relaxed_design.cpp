#include "analysis/relaxed_design.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "analysis/linear_solve.hpp"

namespace moelaw::analysis {

namespace {

Eigen::MatrixXd weighted_information(const TargetLinearisation& lin, const std::vector<Eigen::VectorXd>& rows,
                                     const std::vector<double>& w) {
  Eigen::MatrixXd m = lin.information();
  for (size_t i = 0; i < rows.size(); ++i)
    if (w[i] > 0) m.noalias() += w[i] * rows[i] * rows[i].transpose();
  return m;
}

// The linear step: the design within budget with the largest Σ value, greedy by value per FLOP
// (FLOPs as charged after the runs already taken, which is exact for trunk reuse whatever the
// order), and greedy by value alone; the better of the two.
std::vector<double> best_vertex(const std::vector<double>& value, const std::vector<Candidate>& candidates,
                                const TrunkProgress& progress, double budget) {
  const size_t n = value.size();
  std::vector<double> best(n, 0.0);
  double best_total = -1;
  for (int by_ratio = 1; by_ratio >= 0; --by_ratio) {
    std::vector<double> s(n, 0.0);
    std::vector<bool> taken(n, false);
    TrunkProgress p = progress;
    double left = budget, total = 0;
    for (;;) {
      long pick = -1;
      double pick_score = 0, pick_cost = 0;
      for (size_t i = 0; i < n; ++i) {
        if (taken[i] || !(value[i] > 0)) continue;
        const double cost = candidate_flops(candidates[i], p);
        if (!(cost <= left)) continue;
        const double score = by_ratio ? value[i] / std::max(cost, 1.0) : value[i];
        if (score > pick_score) pick = static_cast<long>(i), pick_score = score, pick_cost = cost;
      }
      if (pick < 0) break;
      taken[pick] = true, s[pick] = 1, total += value[pick], left -= pick_cost;
      record_trained(candidates[pick], p);
    }
    if (total > best_total) best = s, best_total = total;
  }
  return best;
}

}  // namespace

double weighted_variance(const TargetLinearisation& lin, const std::vector<Eigen::VectorXd>& rows,
                         const std::vector<double>& w) {
  const Eigen::MatrixXd& g = lin.target_gradient();
  const Eigen::MatrixXd u = solve_symmetric(weighted_information(lin, rows, w), g);
  return std::max(0.0, lin.scale2() * (g.transpose() * u).trace() / static_cast<double>(g.cols()));
}

std::vector<double> relaxed_weights(const TargetLinearisation& lin, const std::vector<Candidate>& candidates,
                                    const std::vector<Eigen::VectorXd>& rows, const TrunkProgress& progress,
                                    double budget, int iterations) {
  const size_t n = rows.size();
  const Eigen::MatrixXd& g = lin.target_gradient();
  const double columns = static_cast<double>(g.cols());
  std::vector<double> w(n, 0.0);
  for (int it = 0; it < iterations; ++it) {
    const Eigen::MatrixXd u = solve_symmetric(weighted_information(lin, rows, w), g);
    const double f = lin.scale2() * (g.transpose() * u).trace() / columns;
    // −∂f/∂wᵢ = s²·|uᵀjᵢ|²/K: how much a little more of run i narrows the interval.
    std::vector<double> value(n);
    for (size_t i = 0; i < n; ++i) value[i] = lin.scale2() * (u.transpose() * rows[i]).squaredNorm() / columns;
    const std::vector<double> s = best_vertex(value, candidates, progress, budget);
    double gap = 0;  // f(w) − min f ≤ gap (convexity)
    for (size_t i = 0; i < n; ++i) gap += value[i] * (s[i] - w[i]);
    if (!(gap > 1e-4 * f)) break;
    // Exact line search on the convex segment w + γ(s − w), golden section.
    auto at = [&](double gamma) {
      std::vector<double> x(n);
      for (size_t i = 0; i < n; ++i) x[i] = w[i] + gamma * (s[i] - w[i]);
      return weighted_variance(lin, rows, x);
    };
    const double phi = (std::sqrt(5.0) - 1) / 2;
    double lo = 0, hi = 1, a = hi - phi * (hi - lo), b = lo + phi * (hi - lo), fa = at(a), fb = at(b);
    for (int k = 0; k < 40; ++k) {
      if (fa <= fb) hi = b, b = a, fb = fa, a = hi - phi * (hi - lo), fa = at(a);
      else lo = a, a = b, fa = fb, b = lo + phi * (hi - lo), fb = at(b);
    }
    const double gamma = (lo + hi) / 2;
    for (size_t i = 0; i < n; ++i) w[i] += gamma * (s[i] - w[i]);
  }
  return w;
}

std::vector<size_t> round_weights(const std::vector<double>& w, const std::vector<Candidate>& candidates,
                                  TrunkProgress progress, double budget) {
  std::vector<size_t> order(w.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return w[a] > w[b]; });
  std::vector<size_t> set;
  double left = budget;
  for (size_t i : order) {
    const double cost = candidate_flops(candidates[i], progress);
    if (!(cost <= left)) continue;
    set.push_back(i), left -= cost, record_trained(candidates[i], progress);
  }
  return set;
}

}  // namespace moelaw::analysis
