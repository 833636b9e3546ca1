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

std::vector<Sample> synthetic_runs(const LawSpec& law, const std::vector<double>& params, size_t count, double noise,
                                   uint64_t seed) {
  RunsTable t;
  t.source = "synthetic";
  t.columns = {"n_act", "n_total", "tokens", "experts", "top_k", "final_loss"};
  for (size_t i = 0; t.rows.size() < count; ++i) {
    const size_t ratio = i % 6, e = (i / 6) % 6, width = (i / 36) % 8;
    ModelShape m = model_shape(512 + 256 * width, std::pow(2.0, e));
    double tokens = 4 * std::pow(32.0, ratio / 5.0) * m.n_act;
    t.rows.push_back({std::to_string(m.n_act), std::to_string(m.n_total), std::to_string(tokens),
                      std::to_string(m.experts), "1", "1"});
    t.lines.push_back(static_cast<long>(i + 2));
  }
  std::vector<Sample> out = samples_for(law, t);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, noise);
  for (Sample& s : out) s.ln_loss = law.predict_ln(params.data(), s.x.data()) + gauss(rng);
  return out;
}

}  // namespace moelaw::analysis
