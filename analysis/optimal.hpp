#pragma once
// Optimal configurations from fitted joint-law coefficients. At a fixed E the joint law is a
// Chinchilla law L = m·N^μ + n·D^ν + c (m = a·Ê^δ, μ = α + γ·ln Ê, n = b·Ê^ω, ν = β + ζ·ln Ê), so the
// compute-optimal N and D under C = 6·N·D have a closed form. N is N_act, embeddings included.
#include <vector>

#include "analysis/law_spec.hpp"

namespace moelaw::analysis {

struct Reduced {
  double experts, m, mu, n, nu, c;
  double loss(double n_act, double tokens) const;
};
Reduced reduce_joint(const Coefficients& joint, double experts);

struct Optimum {
  double budget = 0, experts = 1, n_act = 0, tokens = 0, loss = 0;
  double d_model = 0;       // of the model-shape rule (DESIGN.md) with this N_act
  double memory_bytes = 0;  // memory-constrained optimum only: parameters + KV cache
  bool memory_bound = false;
};

// Closed form (derivation in optimal.cpp). Throws std::runtime_error when an exponent is not negative (no
// optimum: loss would fall forever with one of N and D).
Optimum compute_optimal(const Reduced& r, double budget);

// The model-shape rule of DESIGN.md: heads of 64, n_blocks = d/64, V = 50,257.
double d_model_for_n_act(double n_act);
// bytes·(N_total + KV cache of 2·T·n_blocks·d_model values).
double memory_bytes(double d_model, double experts, double kv_tokens, double bytes_per_param);

struct MemorySpec {
  double bytes = 0, kv_tokens = 0, bytes_per_param = 2;
};
// The compute-optimal model of each E shrunk, if needed, to the largest of the shape rule that fits
// the memory; the memory-optimal E is the one with the lowest loss (caller picks).
Optimum memory_constrained_optimal(const Reduced& r, double budget, const MemorySpec& memory);

// The optimum when the budget C = 6·N·D + 2·N·D_inf also pays for D_inf inference tokens:
// a one-dimensional minimisation over ln N (scan, then golden section).
Optimum inference_optimal(const Reduced& r, double budget, double inference_tokens);

}  // namespace moelaw::analysis
