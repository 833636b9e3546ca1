#pragma once
// The learning-rate × batch-size law of the Step Law (Li et al. 2025): LR*(N, D) = eta0·N^eta_n·D^eta_d
// and BS*(D) = b0·D^b_d tokens, N the non-embedding parameters, D the run's tokens. The defaults
// are the published coefficients; `moelaw fit --law lr-bs` fits them, `plan` uses a fitted set.
#include <cmath>

namespace moelaw::model {

struct StepLaw {
  double eta0 = 1.79, eta_n = -0.713, eta_d = 0.307, b0 = 0.58, b_d = 0.571;
  double lr(double n_nonembedding, double tokens) const {
    return eta0 * std::pow(n_nonembedding, eta_n) * std::pow(tokens, eta_d);
  }
  double batch_tokens(double tokens) const { return b0 * std::pow(tokens, b_d); }
};

}  // namespace moelaw::model
