#include "analysis/sparsity_optimal.hpp"

#include <cmath>
#include <stdexcept>

#include "analysis/synthetic.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

double get(const Coefficients& c, const char* name) {
  for (const auto& [n, v] : c)
    if (n == name) return v;
  throw UsageError(std::string("sparsity-law coefficients lack '") + name + "'");
}

// Minimum of f over [lo, hi]: a scan of `steps` points for the basin, then golden section in it.
template <class F>
double minimise(F f, double lo, double hi, int steps = 400) {
  int best = 0;
  double best_f = f(lo);
  for (int i = 1; i <= steps; ++i) {
    double v = f(lo + (hi - lo) * i / steps);
    if (v < best_f) best_f = v, best = i;
  }
  const double step = (hi - lo) / steps, g = (std::sqrt(5.0) - 1) / 2;
  double a = std::max(lo, lo + (best - 1) * step), b = std::min(hi, lo + (best + 1) * step);
  double x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = f(x1), f2 = f(x2);
  for (int i = 0; i < 200 && b - a > 1e-13 * std::max(1.0, std::abs(a)); ++i) {
    if (f1 < f2) b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = f(x1);
    else a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = f(x2);
  }
  double x = (a + b) / 2;
  return f(x) <= best_f ? x : lo + best * step;
}

}  // namespace

SparsityLaw5 SparsityLaw5::from(const Coefficients& c) {
  return {get(c, "a"), get(c, "alpha"), get(c, "b"), get(c, "beta"),  get(c, "c"),
          get(c, "lambda"), get(c, "d"), get(c, "delta"), get(c, "gamma"), get(c, "e")};
}

double SparsityLaw5::loss(double n, double tokens, double s) const {
  const double dense = 1 - s;
  return a / std::pow(n, alpha) + b / std::pow(tokens, beta) + c / std::pow(dense, lambda) +
         d / (std::pow(dense, delta) * std::pow(n, gamma)) + e;
}

SparseModel sparse_model(double n_total, double sparsity, double budget, const SparsityLaw5& law) {
  const double experts = 1 / (1 - sparsity);
  double lo = 0, hi = 64;
  while (model_shape(hi, experts).n_total < n_total) hi *= 2;
  for (int i = 0; i < 200; ++i) (model_shape((lo + hi) / 2, experts).n_total < n_total ? lo : hi) = (lo + hi) / 2;
  ModelShape m = model_shape((lo + hi) / 2, experts);
  SparseModel out;
  out.budget = budget, out.sparsity = sparsity, out.experts = experts, out.d_model = m.d_model;
  out.n_total = n_total, out.n_act = m.n_act, out.tokens = budget / (6 * m.n_act);
  out.loss = law.loss(n_total, out.tokens, sparsity);
  return out;
}

SparseModel optimal_sparsity(const SparsityLaw5& law, double budget, double n_total, double max_sparsity) {
  // Search over ln E = −ln(1−S), where the law's S terms are smooth power laws.
  auto loss = [&](double ln_e) { return sparse_model(n_total, 1 - std::exp(-ln_e), budget, law).loss; };
  double ln_e = minimise(loss, 0, -std::log1p(-max_sparsity));
  return sparse_model(n_total, 1 - std::exp(-ln_e), budget, law);
}

SparseModel compute_optimal_at_sparsity(const SparsityLaw5& law, double budget, double sparsity) {
  if (!(budget / 6 > 1e6)) throw std::runtime_error("budget " + std::to_string(budget) + " is too small");
  auto loss = [&](double ln_n) { return sparse_model(std::exp(ln_n), sparsity, budget, law).loss; };
  double ln_n = minimise(loss, std::log(1e6), std::log(budget / 6));
  return sparse_model(std::exp(ln_n), sparsity, budget, law);
}

}  // namespace moelaw::analysis
