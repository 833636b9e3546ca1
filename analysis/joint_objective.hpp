#pragma once
// The joint law's objective with a hand-derived gradient. The joint fit is the expensive one
// (3^9 starts × hundreds of L-BFGS steps), and the generic Jet objective spends most of its time
// propagating 11-wide derivative vectors through Ê and logsumexp for every run. Here ln Ê and its
// derivatives (still by Jets, from the same ln_e_hat) are computed once per distinct E, and each
// run costs two exponentials and a logarithm. Tests check value and gradient against
// HuberObjective<JointLaw>.
#include <vector>

#include <ceres/gradient_problem.h>
#include <ceres/loss_function.h>

#include "analysis/law_spec.hpp"

namespace moelaw::analysis {

class JointObjective final : public ceres::FirstOrderFunction {
 public:
  JointObjective(const std::vector<Sample>& samples, double delta);
  bool Evaluate(const double* p, double* cost, double* gradient) const override;
  int NumParameters() const override { return 11; }

 private:
  const std::vector<Sample>& samples_;
  ceres::HuberLoss huber_;
  std::vector<double> experts_;  // the distinct E values
  std::vector<int> group_;       // index into experts_ of each sample
};

}  // namespace moelaw::analysis
