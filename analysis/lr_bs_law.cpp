#include "analysis/lr_bs_law.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include <Eigen/Dense>

#include "analysis/law_spec.hpp"
#include "analysis/linear_solve.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

// Runs within this fraction of the group's best loss feed the quadratic surface: near the optimum
// the loss is close to quadratic in ln LR and ln BS, far from it (divergence, tiny LRs) it is not.
constexpr double kSurfaceWindow = 0.03;

void band_optimum(LrBsGroup& g, double band) {
  const double best = *std::min_element(g.loss.begin(), g.loss.end());
  double su = 0, sv = 0;
  size_t k = 0;
  for (size_t i = 0; i < g.loss.size(); ++i)
    if (g.loss[i] <= best * (1 + band)) su += std::log(g.lr[i]), sv += std::log(g.batch[i]), ++k;
  g.band_lr = std::exp(su / k), g.band_batch = std::exp(sv / k), g.band_runs = k;
}

// loss ≈ q0 + q1·u + q2·v + q3·u² + q4·v² + q5·u·v (u = ln LR, v = ln BS); its vertex when the
// Hessian is positive definite and the vertex lies inside the box of the runs used.
void surface_optimum(LrBsGroup& g) {
  g.surface_ok = false;
  const double best = *std::min_element(g.loss.begin(), g.loss.end());
  std::vector<size_t> use;
  for (size_t i = 0; i < g.loss.size(); ++i)
    if (g.loss[i] <= best * (1 + kSurfaceWindow)) use.push_back(i);
  if (use.size() < 8) {  // too few near the optimum: all the group's runs
    use.clear();
    for (size_t i = 0; i < g.loss.size(); ++i) use.push_back(i);
  }
  std::set<double> us, vs;
  for (size_t i : use) us.insert(g.lr[i]), vs.insert(g.batch[i]);
  if (use.size() < 6 || us.size() < 3 || vs.size() < 3) return;
  Eigen::MatrixXd a(use.size(), 6);
  Eigen::VectorXd y(use.size());
  for (size_t k = 0; k < use.size(); ++k) {
    const double u = std::log(g.lr[use[k]]), v = std::log(g.batch[use[k]]);
    a.row(k) << 1, u, v, u * u, v * v, u * v;
    y(k) = g.loss[use[k]];
  }
  Eigen::VectorXd q = least_squares(a, y);
  Eigen::Matrix2d h;
  h << 2 * q(3), q(5), q(5), 2 * q(4);
  if (!(h(0, 0) > 0 && h.determinant() > 0)) return;
  Eigen::Vector2d x = h.ldlt().solve(Eigen::Vector2d(-q(1), -q(2)));
  if (x(0) < std::log(*us.begin()) || x(0) > std::log(*us.rbegin()) || x(1) < std::log(*vs.begin()) ||
      x(1) > std::log(*vs.rbegin()))
    return;
  g.surface_lr = std::exp(x(0)), g.surface_batch = std::exp(x(1)), g.surface_ok = true;
}

void locate(LrBsGroup& g, const LrBsOptions& o) {
  band_optimum(g, o.band);
  surface_optimum(g);
  if (!g.surface_ok) g.surface_lr = g.band_lr, g.surface_batch = g.band_batch;
  const bool surface = o.recipe == OptimumRecipe::surface;
  g.best_lr = surface ? g.surface_lr : g.band_lr;
  g.best_batch = surface ? g.surface_batch : g.band_batch;
}

// Least squares of ln LR* on (1, ln N, ln D) and of ln BS* on (1, ln D); RMSEs on request.
LrBsCoefficients regress(const std::vector<LrBsGroup>& groups, const std::vector<double>& lr,
                         const std::vector<double>& batch, double* rmse_lr = nullptr, double* rmse_batch = nullptr) {
  const size_t n = groups.size();
  Eigen::MatrixXd a(n, 3);
  Eigen::VectorXd y(n), z(n);
  for (size_t i = 0; i < n; ++i) {
    a.row(i) << 1, std::log(groups[i].n), std::log(groups[i].tokens);
    y(i) = std::log(lr[i]), z(i) = std::log(batch[i]);
  }
  Eigen::Vector3d c = least_squares(a, y);
  Eigen::MatrixXd a2(n, 2);
  a2 << a.col(0), a.col(2);
  Eigen::Vector2d d = least_squares(a2, z);
  if (rmse_lr) *rmse_lr = std::sqrt((a * c - y).squaredNorm() / n);
  if (rmse_batch) *rmse_batch = std::sqrt((a2 * d - z).squaredNorm() / n);
  return {std::exp(c(0)), c(1), c(2), std::exp(d(0)), d(1)};
}

LrBsCoefficients regress(const std::vector<LrBsGroup>& groups, bool surface) {
  std::vector<double> lr, batch;
  for (const auto& g : groups) {
    lr.push_back(surface ? g.surface_lr : g.band_lr);
    batch.push_back(surface ? g.surface_batch : g.band_batch);
  }
  return regress(groups, lr, batch);
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * (v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos)), hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

std::string where(const RunsTable& t, long line, const std::string& column) {
  size_t row = std::find(t.lines.begin(), t.lines.end(), line) - t.lines.begin();
  return located(t.source, line, "row " + std::to_string(row + 1) + ", column '" + column + "': ");
}

}  // namespace

std::vector<std::pair<std::string, double>> named(const LrBsCoefficients& c) {
  return {{"eta0", c.eta0}, {"eta_n", c.eta_n}, {"eta_d", c.eta_d}, {"b0", c.b0}, {"b_d", c.b_d}};
}

LrBsFit fit_lr_bs_law(const RunsTable& t, const LrBsOptions& options) {
  if (!(options.band > 0)) throw UsageError("--band must be positive");
  for (const char* column : {"n_act_nonembedding", "tokens", "lr", "batch_tokens", "final_loss"})
    if (t.column_index(column) < 0)
      throw UsageError(t.source + ": missing column '" + column + "' (the lr-bs law needs n_act_nonembedding, "
                       "tokens, lr, batch_tokens and final_loss)");
  std::map<std::pair<double, double>, LrBsGroup> by_key;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    double n = cell_number(t, r, "n_act_nonembedding"), d = cell_number(t, r, "tokens");
    LrBsGroup& g = by_key[{n, d}];
    if (g.lr.empty()) g.n = n, g.tokens = d, g.first_line = t.lines[r];
    g.lr.push_back(cell_number(t, r, "lr"));
    g.batch.push_back(cell_number(t, r, "batch_tokens"));
    g.loss.push_back(cell_number(t, r, "final_loss"));
  }
  LrBsFit fit;
  fit.recipe = options.recipe, fit.band = options.band, fit.bootstrap = options.bootstrap;
  std::set<double> ns, ds;
  for (auto& [key, g] : by_key) {
    for (const char* column : {"lr", "batch_tokens"}) {
      const auto& v = std::string(column) == "lr" ? g.lr : g.batch;
      size_t distinct = std::set<double>(v.begin(), v.end()).size();
      if (distinct < 3)
        throw UsageError(where(t, g.first_line, column) + "the group n_act_nonembedding=" + std::to_string(g.n) +
                         ", tokens=" + std::to_string(g.tokens) + " starting here has " + std::to_string(distinct) +
                         " distinct value(s); the lr-bs law needs a sweep of at least 3 learning rates and 3 batch "
                         "sizes per group");
    }
    locate(g, options);
    fit.groups.push_back(g);
    ns.insert(g.n), ds.insert(g.tokens);
  }
  {
    Eigen::MatrixXd a(fit.groups.size(), 3);
    for (size_t i = 0; i < fit.groups.size(); ++i)
      a.row(i) << 1, std::log(fit.groups[i].n), std::log(fit.groups[i].tokens);
    if (fit.groups.size() < 4 || ns.size() < 2 || ds.size() < 2 || column_rank(a) < 3)
      throw UsageError(t.source + ": too few groups for the lr-bs law: " + std::to_string(fit.groups.size()) +
                       " (N, D) groups over " + std::to_string(ns.size()) + " values of column 'n_act_nonembedding' and " +
                       std::to_string(ds.size()) + " of column 'tokens'; need at least 4 groups, N and D each varying "
                       "independently");
  }
  std::vector<double> lr, batch;
  for (const auto& g : fit.groups) lr.push_back(g.best_lr), batch.push_back(g.best_batch);
  fit.coefficients = regress(fit.groups, lr, batch, &fit.rmse_lr, &fit.rmse_batch);
  fit.by_surface = regress(fit.groups, true);
  fit.by_band = regress(fit.groups, false);

  if (options.bootstrap > 0) {
    if (options.bootstrap < 2) throw UsageError("--bootstrap needs at least 2 refits");
    std::vector<std::vector<double>> values(5);
    for (int b = 0; b < options.bootstrap; ++b) {
      std::mt19937_64 rng(options.seed * 1000003 + b);  // one generator per refit: reproducible
      std::vector<double> lr_b, batch_b;
      for (const auto& g : fit.groups) {
        LrBsGroup s = g;
        std::uniform_int_distribution<size_t> any(0, g.lr.size() - 1);
        for (size_t i = 0; i < g.lr.size(); ++i) {
          size_t k = any(rng);
          s.lr[i] = g.lr[k], s.batch[i] = g.batch[k], s.loss[i] = g.loss[k];
        }
        locate(s, options);
        lr_b.push_back(s.best_lr), batch_b.push_back(s.best_batch);
      }
      auto c = named(regress(fit.groups, lr_b, batch_b));
      for (size_t k = 0; k < 5; ++k) values[k].push_back(c[k].second);
    }
    auto names = named(fit.coefficients);
    for (size_t k = 0; k < 5; ++k)
      fit.intervals.push_back({names[k].first, percentile(values[k], 0.025), percentile(values[k], 0.975)});
  }
  return fit;
}

}  // namespace moelaw::analysis
