#pragma once
// Synthetic runs drawn from a law with known coefficients: the fitting tests and the benchmark fit
// them back. Shapes follow DESIGN.md's rule (heads of 64, n_blocks = d/64, GPT-2 vocabulary).
#include <cstdint>
#include <vector>

#include "analysis/law_spec.hpp"

namespace moelaw::analysis {

struct ModelShape {
  double d_model, n_blocks, experts;
  double n_act;    // 2·d·V + 13·n_blocks·d²  (embeddings included: the joint law's N)
  double n_total;  // 2·d·V + (4 + 9E)·n_blocks·d²
};
ModelShape model_shape(double d_model, double experts);

// The joint-law paper-like grid: d_model ∈ {512, 768, …, 2304}, E ∈ {1, 2, 4, 8, 16, 32}, and
// `tokens_per_model` token counts per model from 4·N_act to 128·N_act (log-spaced). Losses are the
// law's with log-normal noise of standard deviation `noise` (seeded, reproducible).
std::vector<Sample> joint_synthetic_runs(const std::vector<double>& params, int tokens_per_model, double noise,
                                         uint64_t seed);

// `count` runs of any law: the same grid of shapes (d_model 512…2304, E 1…32, top-1) with six
// token counts from 4·N_act to 128·N_act, cycled until `count`, and losses from the law's
// log-form parameters with log-normal noise. Features come from the law's own runs-table columns.
std::vector<Sample> synthetic_runs(const LawSpec& law, const std::vector<double>& params, size_t count, double noise,
                                   uint64_t seed);

}  // namespace moelaw::analysis
