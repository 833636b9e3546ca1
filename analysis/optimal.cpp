#include "analysis/optimal.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "analysis/laws.hpp"

namespace moelaw::analysis {

namespace {

constexpr double kVocab = 50257;

double get(const Coefficients& c, const char* name) {
  for (const auto& [n, v] : c)
    if (n == name) return v;
  throw std::runtime_error(std::string("joint-law coefficients lack '") + name + "'");
}

double n_act_of(double d) { return 2 * d * kVocab + 13 * (d / 64) * d * d; }

// Golden-section search for the minimum of f on [lo, hi].
template <class F>
double golden_min(F f, double lo, double hi) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double a = lo, b = hi, x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = f(x1), f2 = f(x2);
  for (int i = 0; i < 200 && b - a > 1e-12; ++i) {
    if (f1 < f2) b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = f(x1);
    else a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = f(x2);
  }
  return (a + b) / 2;
}

}  // namespace

double Reduced::loss(double n_act, double tokens) const {
  return m * std::pow(n_act, mu) + n * std::pow(tokens, nu) + c;
}

Reduced reduce_joint(const Coefficients& j, double experts) {
  double le = ln_e_hat(experts, get(j, "e_start"), get(j, "e_max"));
  return {experts,
          get(j, "a") * std::exp(get(j, "delta") * le),
          get(j, "alpha") + get(j, "gamma") * le,
          get(j, "b") * std::exp(get(j, "omega") * le),
          get(j, "beta") + get(j, "zeta") * le,
          get(j, "c")};
}

Optimum compute_optimal(const Reduced& r, double budget) {
  // L(N) = m·N^−p + n·(C/6N)^−q with p = −μ, q = −ν > 0; dL/dN = 0 gives
  // N^(p+q) = (p·m)/(q·n)·(C/6)^q.
  double p = -r.mu, q = -r.nu;
  if (!(p > 0 && q > 0))
    throw std::runtime_error("no compute optimum at E = " + std::to_string(r.experts) +
                             ": the N and D exponents must both be negative");
  double n_act = std::exp((std::log(p * r.m / (q * r.n)) + q * std::log(budget / 6)) / (p + q));
  Optimum o;
  o.budget = budget, o.experts = r.experts, o.n_act = n_act, o.tokens = budget / (6 * n_act);
  o.loss = r.loss(o.n_act, o.tokens);
  o.d_model = d_model_for_n_act(n_act);
  return o;
}

double d_model_for_n_act(double n_act) {
  double lo = 0, hi = 1;
  while (n_act_of(hi) < n_act) hi *= 2;
  for (int i = 0; i < 200; ++i) (n_act_of((lo + hi) / 2) < n_act ? lo : hi) = (lo + hi) / 2;
  return (lo + hi) / 2;
}

double memory_bytes(double d, double experts, double kv_tokens, double bytes_per_param) {
  double blocks = d / 64;
  double n_total = 2 * d * kVocab + (4 + 9 * experts) * blocks * d * d;
  return bytes_per_param * (n_total + 2 * kv_tokens * blocks * d);
}

Optimum memory_constrained_optimal(const Reduced& r, double budget, const MemorySpec& mem) {
  Optimum o = compute_optimal(r, budget);
  o.memory_bytes = memory_bytes(o.d_model, r.experts, mem.kv_tokens, mem.bytes_per_param);
  if (o.memory_bytes <= mem.bytes) return o;
  // The largest d_model that fits (memory grows with d), then its N_act.
  double lo = 0, hi = o.d_model;
  for (int i = 0; i < 200; ++i)
    (memory_bytes((lo + hi) / 2, r.experts, mem.kv_tokens, mem.bytes_per_param) <= mem.bytes ? lo : hi) = (lo + hi) / 2;
  o.d_model = lo;
  o.n_act = n_act_of(lo);
  o.tokens = budget / (6 * o.n_act);
  o.loss = o.n_act > 0 ? r.loss(o.n_act, o.tokens) : INFINITY;
  o.memory_bytes = memory_bytes(lo, r.experts, mem.kv_tokens, mem.bytes_per_param);
  o.memory_bound = true;
  return o;
}

Optimum inference_optimal(const Reduced& r, double budget, double inference_tokens) {
  auto tokens = [&](double ln_n) {
    double n = std::exp(ln_n);
    return (budget - 2 * n * inference_tokens) / (6 * n);
  };
  auto loss = [&](double ln_n) {
    double d = tokens(ln_n);
    return d > 0 ? r.loss(std::exp(ln_n), d) : INFINITY;
  };
  // N ranges up to where inference alone spends the budget; scan ln N for the basin, then refine.
  double hi = std::log(budget / (2 * inference_tokens)), lo = std::log(1e3);
  if (inference_tokens <= 0) hi = std::log(budget / 6);
  if (!(hi > lo)) throw std::runtime_error("budget " + std::to_string(budget) + " is too small for the inference tokens");
  const int steps = 400;
  int best = 0;
  for (int i = 1; i <= steps; ++i)
    if (loss(lo + (hi - lo) * i / steps) < loss(lo + (hi - lo) * best / steps)) best = i;
  double step = (hi - lo) / steps;
  double u = golden_min(loss, std::max(lo, lo + (best - 1) * step), std::min(hi, lo + (best + 1) * step));
  Optimum o;
  o.budget = budget, o.experts = r.experts, o.n_act = std::exp(u), o.tokens = tokens(u), o.loss = loss(u);
  o.d_model = d_model_for_n_act(o.n_act);
  return o;
}

}  // namespace moelaw::analysis
