#pragma once
// The fitting objective of every law: Σ_i w_i·Huber_δ(ln L_i − ln L̂_i), summed (not averaged) over
// runs as Hoffmann et al. and the replication do. ln L̂ and its gradient come from the law functor
// evaluated on ceres::Jet (automatic derivatives); the robust loss is Ceres's HuberLoss, which is
// ρ(s) = s or 2δ√s − δ² of s = r², i.e. twice the textbook Huber; hence the factors ½.
#include <vector>

#include <ceres/gradient_problem.h>
#include <ceres/jet.h>
#include <ceres/loss_function.h>

#include "analysis/law_spec.hpp"

namespace moelaw::analysis {

template <class Law>
class HuberObjective final : public ceres::FirstOrderFunction {
 public:
  HuberObjective(const std::vector<Sample>& samples, double delta) : samples_(samples), huber_(delta) {}

  bool Evaluate(const double* p, double* cost, double* gradient) const override {
    constexpr int K = Law::kParams;
    double rho[3];
    double total = 0;
    if (!gradient) {  // line searches often need values only: skip the Jets
      for (const Sample& s : samples_) {
        double r = s.ln_loss - law_(p, s.x.data());
        huber_.Evaluate(r * r, rho);
        total += 0.5 * s.weight * rho[0];
      }
    } else {
      using J = ceres::Jet<double, K>;
      J pj[K];
      for (int k = 0; k < K; ++k) pj[k] = J(p[k], k);
      Eigen::Matrix<double, K, 1> g = Eigen::Matrix<double, K, 1>::Zero();
      for (const Sample& s : samples_) {
        J pred = law_(pj, s.x.data());
        double r = s.ln_loss - pred.a;
        huber_.Evaluate(r * r, rho);
        total += 0.5 * s.weight * rho[0];
        g -= (s.weight * rho[1] * r) * pred.v;  // d/dp ½ρ(r²) = ρ'(r²)·r·dr/dp, dr/dp = −dL̂/dp
      }
      for (int k = 0; k < K; ++k) gradient[k] = g[k];
      // Ceres's Wolfe search aborts on a valid value with an invalid gradient: report both or none.
      if (!g.allFinite()) return false;
    }
    *cost = total;
    // A start far from any sensible region can overflow; Ceres then shortens the step.
    return std::isfinite(total);
  }
  int NumParameters() const override { return Law::kParams; }

 private:
  const std::vector<Sample>& samples_;
  ceres::HuberLoss huber_;
  Law law_;
};

}  // namespace moelaw::analysis
