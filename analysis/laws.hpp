#pragma once
// The scaling laws, each a templated functor that predicts ln L for one run from the law's
// parameters (log form) and the run's features. Templated so that the same code runs on doubles
// (predictions, reports) and on ceres::Jet (automatic derivatives inside the fit).
//
// Every law is fitted in log space: ln L̂ = logsumexp(terms), each term linear in the log-form
// coefficients, which keeps the objective smooth over many orders of magnitude of N and D.
#include <cmath>

#include <ceres/jet.h>

namespace moelaw::analysis {

// logsumexp of two or more values, shifted by the largest so exp never overflows. The branch on
// the maximum only picks the shift; the value and its derivative are the same either way.
template <typename T>
T logsumexp(const T* v, int n) {
  using std::exp;
  using std::log;
  T m = v[0];
  for (int i = 1; i < n; ++i)
    if (v[i] > m) m = v[i];
  T s = T(0.0);
  for (int i = 0; i < n; ++i) s += exp(v[i] - m);
  return m + log(s);
}

// ln Ê of the joint law (and of Clark et al.'s routed laws): Ê saturates E between E_start and
// E_max: 1/Ê = 1/(E − 1 + (1/E_start − 1/E_max)^−1) + 1/E_max. Ê(1) = E_start and Ê → E_max as
// E → ∞. Requires E_max > E_start > 0.
template <typename T>
T ln_e_hat(double experts, const T& e_start, const T& e_max) {
  using std::log;
  T inv = T(1.0) / (T(experts - 1.0) + T(1.0) / (T(1.0) / e_start - T(1.0) / e_max)) + T(1.0) / e_max;
  return -log(inv);
}

// Chinchilla (Hoffmann et al.): L = E + A·N^−α + B·D^−β.
// Parameters: ln A, ln B, ln E, α, β. Features: ln N, ln D.
struct ChinchillaLaw {
  static constexpr int kParams = 5;
  template <typename T>
  T operator()(const T* p, const double* x) const {
    T terms[3] = {p[0] - p[3] * x[0], p[1] - p[4] * x[1], p[2]};
    return logsumexp(terms, 3);
  }
};

// The joint dense+MoE law (Ludziejewski et al.):
// L = a·Ê^δ·N^(α+γ·ln Ê) + b·Ê^ω·D^(β+ζ·ln Ê) + c, exponents written with their sign.
// Parameters: ln a, α, δ, γ, ln b, β, ω, ζ, ln E_start, ln(E_max − E_start), ln c. The last two
// saturation parameters are stored so that any real vector keeps E_max > E_start > 0.
// Features: ln N (active parameters), ln D, E.
struct JointLaw {
  static constexpr int kParams = 11;
  template <typename T>
  T operator()(const T* p, const double* x) const {
    using std::exp;
    T e_start = exp(p[8]);
    T e_max = e_start + exp(p[9]);
    T le = ln_e_hat(x[2], e_start, e_max);
    T terms[3] = {p[0] + p[2] * le + (p[1] + p[3] * le) * x[0],
                  p[4] + p[6] * le + (p[5] + p[7] * le) * x[1], p[10]};
    return logsumexp(terms, 3);
  }
};

// The sparsity law (Abnar et al.): L = a/N^α + b/D^β + c/(1−S)^λ + d/((1−S)^δ·N^γ) + e.
// Parameters: ln a, ln b, ln c, ln d, ln e, α, β, γ, λ, δ. Features: ln N (total), ln D, ln(1−S).
struct SparsityLaw {
  static constexpr int kParams = 10;
  template <typename T>
  T operator()(const T* p, const double* x) const {
    T terms[5] = {p[0] - p[5] * x[0], p[1] - p[6] * x[1], p[2] - p[8] * x[2],
                  p[3] - p[9] * x[2] - p[7] * x[0], p[4]};
    return logsumexp(terms, 5);
  }
};

// The MoE law with a log-interaction: ln L = ln(A/N^α + B/Ê^β + C/D^γ + F) + d·ln N·ln Ê.
// No saturation parameters are in this law's initialisation grid, so Ê = E here.
// Parameters: ln A, ln B, ln C, ln F, α, β, γ, d. Features: ln N (active), ln D, ln E.
struct MoeLogLinearLaw {
  static constexpr int kParams = 8;
  template <typename T>
  T operator()(const T* p, const double* x) const {
    T terms[4] = {p[0] - p[4] * x[0], p[1] - p[5] * x[2], p[2] - p[6] * x[1], p[3]};
    return logsumexp(terms, 4) + p[7] * x[0] * x[2];
  }
};

}  // namespace moelaw::analysis
