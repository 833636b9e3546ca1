#pragma once
// How certain a fitted law's answer is at a target compute C: the compute-optimal loss, N or D
// (under C = 6·N·D; at --experts E for the joint law), and the 10th–90th percentile interval of
// it from a linearisation of the fit, which `moelaw advise` updates run by run.
//
// The linearisation: near the optimum θ̂ the Huber fit of ln L behaves like weighted least
// squares, so Cov(θ̂) ≈ s²·(JᵀJ)⁻¹ with J the Jacobian of ln L̂ over the runs, and the target's
// variance is gᵀ·Cov·g with g = ∂q/∂θ (the delta method). s² is the residual variance times the
// Huber estimator's efficiency factor under Gaussian noise, E[ψ²]/E[ψ']² (π/2·σ² when δ ≪ σ, the
// L1 limit; σ² when δ ≫ σ). A tiny ridge (a very wide Gaussian prior) keeps directions no run
// constrains finite. Adding a run with the law's predicted loss as its pseudo-observation leaves
// θ̂ where it is (its residual is 0) and adds j·jᵀ to JᵀJ: a rank-one (Sherman–Morrison) update,
// so the look-ahead over many candidate runs costs no refits. `bootstrap_target` is the reference
// it is checked against (tests/test_advise.cpp).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "analysis/fit.hpp"

namespace moelaw::analysis {

enum class Quantity { loss, n, d };
Quantity parse_quantity(const std::string& text);  // "loss", "N", "D"; UsageError naming --quantity
std::string quantity_name(Quantity q);

struct Target {
  Quantity quantity = Quantity::loss;
  double compute = 0;  // C, FLOPs
  double experts = 1;  // the joint law's E
  // > 0: where a fit has no compute optimum (an early, poorly constrained one), the answer at
  // D = ratio·N on C = 6·N·D instead of an error (the simulated studies; `advise` itself refuses).
  double fallback_tokens_per_param = 0;
  // Non-empty: the target is instead ln L̂ at these runs (law features), its variance the mean over
  // them, the expected squared error of predicting them all (the table study's held-out runs,
  // which it scores by RMSE of ln L). `compute` and `quantity` are then unused.
  std::vector<std::array<double, 3>> points = {};
};

// The laws `advise` knows an optimum of (chinchilla, joint); others are a UsageError naming --law.
void check_advisable(const LawSpec& law);

// The quantity on its working scale (loss; ln N; ln D; the mean ln L̂ over `points`) for log-form
// parameters; std::runtime_error when the law has no compute optimum there (an exponent not negative).
double target_scaled(const LawSpec& law, const std::vector<double>& params, const Target& target);

struct TargetInterval {
  double value = 0, lo = 0, hi = 0;  // natural units (loss, parameters, tokens)
  double width() const { return hi - lo; }
};
// value ± z·σ on the working scale (z of the 90th percentile), back in natural units.
TargetInterval interval_of(Quantity q, double scaled, double sd);

class TargetLinearisation {
 public:
  TargetLinearisation(const LawSpec& law, const std::vector<double>& params, const std::vector<Sample>& samples,
                      double huber_delta, const Target& target);
  // ∂ ln L̂/∂θ of a run with these features.
  Eigen::VectorXd jacobian_row(const std::array<double, 3>& x) const;
  double variance() const;                              // of the scaled target
  double variance_after(const Eigen::VectorXd& j) const;  // with one more run of row j
  void add(const Eigen::VectorXd& j);                   // the run is trained (pseudo-observation)
  TargetInterval interval() const { return interval_at(variance()); }
  TargetInterval interval_at(double variance) const {
    return interval_of(target_.quantity, value_, std::sqrt(variance));
  }
  double noise_sd() const { return sigma_; }             // residual σ of ln L
  double scale2() const { return s2_; }                 // s²: σ² times the Huber factor
  // JᵀJ + λI of the runs so far and g = ∂q/∂θ: what a design's variance s²·gᵀ(JᵀJ + λI + Σ w·j·jᵀ)⁻¹g
  // is made of (the relaxed choice, relaxed_design.hpp, weighs candidate runs continuously).
  const Eigen::MatrixXd& information() const { return m_; }
  // One column per target point (one column for the compute-optimal target); the variance is the
  // mean over the columns.
  const Eigen::MatrixXd& target_gradient() const { return g_; }

 private:
  const LawSpec& law_;
  std::vector<double> params_;
  Target target_;
  double value_ = 0, sigma_ = 0, s2_ = 0;
  Eigen::MatrixXd g_;  // ∂q/∂θ, a column per target point
  Eigen::MatrixXd m_;  // JᵀJ + λI
  Eigen::MatrixXd p_;  // (JᵀJ + λI)⁻¹
};

// Reference: percentiles of the target over refits on runs resampled with replacement (all n of
// them), each refit one L-BFGS run from `best`.
TargetInterval bootstrap_target(const LawSpec& law, const std::vector<Sample>& samples,
                                const std::vector<double>& best, const Target& target, int refits,
                                const FitOptions& options, uint64_t seed);

}  // namespace moelaw::analysis
