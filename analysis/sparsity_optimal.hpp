#pragma once
// Optimal sparsity (Abnar et al. 2025) from fitted sparsity-law coefficients,
// L(N, D, S) = a/N^α + b/D^β + c/(1−S)^λ + d/((1−S)^δ·N^γ) + e with N the total parameters, under a
// training budget C = 6·N_a·D. A model is moelaw's shape (DESIGN.md: heads of 64, d_model/64
// blocks, E experts of top-1, S = (E−1)/E), so N and S fix d_model, and d_model and E fix N_a.
#include <vector>

#include "analysis/law_spec.hpp"

namespace moelaw::analysis {

struct SparsityLaw5 {  // the published coefficients, by name
  double a, alpha, b, beta, c, lambda, d, delta, gamma, e;
  static SparsityLaw5 from(const Coefficients& c);  // UsageError when one is missing
  double loss(double n_total, double tokens, double sparsity) const;
};

struct SparseModel {
  double budget = 0, sparsity = 0, experts = 1, d_model = 0;
  double n_total = 0, n_act = 0, tokens = 0, loss = 0;
};

// The shape with this total and E = 1/(1−S) experts (E need not be whole: the law is smooth in S).
SparseModel sparse_model(double n_total, double sparsity, double budget, const SparsityLaw5& law);

// At fixed C and N: the S in [0, max_sparsity] with the lowest loss (scan over ln E, then golden
// section; L(S) is convex in the paper's fits but nothing here relies on it).
SparseModel optimal_sparsity(const SparsityLaw5& law, double budget, double n_total, double max_sparsity = 1 - 1.0 / 4096);
// At fixed C and S: the compute-optimal total N (and so N_a and D), over N from 1e6 to C/6.
SparseModel compute_optimal_at_sparsity(const SparsityLaw5& law, double budget, double sparsity);

}  // namespace moelaw::analysis
