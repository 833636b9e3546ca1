#pragma once
// Simulated studies that judge the advisor (bench/bench_advise.cpp, tests/test_advise.cpp): a pool
// of candidate runs whose losses are revealed only when a run is chosen, a few cheap runs already
// trained, and three ways to spend FLOPs: the advisor (in rounds: advise, reveal, refit), random
// choice at the same FLOPs, and the whole pool. Each is scored by `error` of its final fit.
// MOELAW_ADVISE_DEBUG=1 in the environment prints each round's fit and choice on stderr.
#include <cstdint>
#include <functional>
#include <vector>

#include "analysis/advisor.hpp"

namespace moelaw::analysis {

struct StudyPool {
  const LawSpec* law = nullptr;
  CandidateSet candidates;
  std::vector<std::array<double, 3>> features;  // law.features of each candidate
  std::vector<size_t> initial;                   // candidates trained before the study starts
  Target target;                                 // what the advisor narrows
  // The observed ln L of every candidate for one seed (simulated noise, or a real table's values).
  std::function<std::vector<double>(uint64_t seed)> observe;
  // How wrong a fit's answer is (for the seed whose observations it was fitted on).
  std::function<double(const std::vector<double>& params, uint64_t seed)> error;
  std::vector<double> truth;  // the known law's parameters, where there is one (empty for a real table)
};

struct StudyOptions {
  double budget_fraction = 1.0 / 3;  // of what the whole pool beyond the initial runs costs
  int rounds = 3;                    // advise → reveal → refit, each with an equal part of the budget
  SelectOptions select;
  FitOptions fit;                    // huber_delta < 0: the law's default
  // A diagnostic: advise from the true coefficients (and their noise-free losses) instead of each
  // round's fit, so that the choice is judged without the early fits' luck (needs a known law).
  bool oracle = false;
};

struct StudyOutcome {
  double error_initial = 0, error_advisor = 0, error_random = 0, error_full = 0;
  double flops_advisor = 0, flops_random = 0, flops_full = 0;  // beyond the initial runs
  size_t runs_advisor = 0, runs_random = 0, runs_full = 0;
  // With a known law: the linearised 80% interval width of each design at the true coefficients
  // (what the best possible fit's spread is; NaN without one).
  double width_advisor = NAN, width_random = NAN, width_full = NAN;
  // The least width any design within the advisor's budget can have there: the continuous
  // relaxation's minimum (relaxed_design.hpp) from the initial runs, on the advisor's design's σ.
  double width_bound = NAN;
};

StudyOutcome run_study(const StudyPool& pool, const StudyOptions& options, uint64_t seed);

// A pool from a known law: models of DESIGN.md's shape rule (n_blocks = d/64), each of `widths`
// × `experts` a trunk with cooldowns to `ratios`·N_act tokens; ln L = the law's + N(0, noise).
// The target is `target` (its compute may be 0: then 100× the largest candidate's compute); the
// initial runs are the `initial_widths` narrowest models at their `initial_ratios` shortest lengths.
// Error: |answer − the true law's answer|, relative.
StudyPool known_law_pool(const LawSpec& law, const std::vector<double>& truth, const std::vector<double>& widths,
                         const std::vector<double>& experts, const std::vector<double>& ratios, double noise,
                         Target target, size_t initial_widths, size_t initial_ratios);

double median(std::vector<double> v);

}  // namespace moelaw::analysis
