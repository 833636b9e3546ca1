#pragma once
// The advisor's choice relaxed to continuous run weights: the linearised variance of the target,
// s²·gᵀ(M + Σ wᵢ·jᵢ·jᵢᵀ)⁻¹g, is convex in w, so it can be minimised over the convex hull of the
// designs that fit the budget (Frank–Wolfe: each step moves toward the design that is best for
// the current gradient, a linear knapsack solved greedily with the exact trunk-reuse FLOPs), and
// the weights then rounded to a design (runs taken in order of weight while they fit). Unlike the
// ratio greedy it weighs every run against all the others at once, so it is one more start beside
// the greedy ones (advisor.cpp keeps whichever design is narrowest).
#include <vector>

#include <Eigen/Dense>

#include "analysis/candidates.hpp"
#include "analysis/target_uncertainty.hpp"

namespace moelaw::analysis {

// Variance of the target with candidate runs of Jacobian rows `rows` weighted by `w` (0..1).
double weighted_variance(const TargetLinearisation& lin, const std::vector<Eigen::VectorXd>& rows,
                         const std::vector<double>& w);

// Frank–Wolfe weights over the hull of designs within `budget` FLOPs (`iterations` steps, fewer
// when the duality gap says the relaxed variance is within 1e-4 of its minimum).
std::vector<double> relaxed_weights(const TargetLinearisation& lin, const std::vector<Candidate>& candidates,
                                    const std::vector<Eigen::VectorXd>& rows, const TrunkProgress& progress,
                                    double budget, int iterations = 300);

// Candidates in order of weight (ties: the lower row), each taken while the set's exact FLOPs
// still fit the budget; runs of zero weight are taken too if they fit, as they cannot hurt.
std::vector<size_t> round_weights(const std::vector<double>& w, const std::vector<Candidate>& candidates,
                                  TrunkProgress progress, double budget);

}  // namespace moelaw::analysis
