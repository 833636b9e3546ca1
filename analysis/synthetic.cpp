#include "analysis/synthetic.hpp"

#include <cmath>
#include <random>

#include "analysis/laws.hpp"

namespace moelaw::analysis {

ModelShape model_shape(double d, double experts) {
  constexpr double kVocab = 50257;
  double blocks = d / 64;
  return {d, blocks, experts, 2 * d * kVocab + 13 * blocks * d * d,
          2 * d * kVocab + (4 + 9 * experts) * blocks * d * d};
}

std::vector<Sample> joint_synthetic_runs(const std::vector<double>& params, int tokens_per_model, double noise,
                                         uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, noise);
  std::vector<Sample> out;
  for (double d = 512; d <= 2304; d += 256) {
    for (double e : {1, 2, 4, 8, 16, 32}) {
      ModelShape m = model_shape(d, e);
      for (int i = 0; i < tokens_per_model; ++i) {
        double ratio = tokens_per_model == 1 ? 20 : 4 * std::pow(32.0, double(i) / (tokens_per_model - 1));
        Sample s;
        s.n = m.n_act;
        s.tokens = ratio * m.n_act;
        s.experts = e;
        s.x = {std::log(s.n), std::log(s.tokens), e};
        s.ln_loss = JointLaw()(params.data(), s.x.data()) + gauss(rng);
        out.push_back(s);
      }
    }
  }
  return out;
}

}  // namespace moelaw::analysis
