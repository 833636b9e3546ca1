#include "analysis/joint_objective.hpp"

#include <algorithm>
#include <cmath>

#include <ceres/jet.h>

#include "analysis/laws.hpp"

namespace moelaw::analysis {

JointObjective::JointObjective(const std::vector<Sample>& samples, double delta)
    : samples_(samples), huber_(delta) {
  for (const Sample& s : samples)
    if (std::find(experts_.begin(), experts_.end(), s.x[2]) == experts_.end()) experts_.push_back(s.x[2]);
  for (const Sample& s : samples)
    group_.push_back(static_cast<int>(std::find(experts_.begin(), experts_.end(), s.x[2]) - experts_.begin()));
}

bool JointObjective::Evaluate(const double* p, double* cost, double* gradient) const {
  // ln Ê per distinct E, with its derivatives by ln E_start (p[8]) and ln(E_max − E_start) (p[9]).
  using J2 = ceres::Jet<double, 2>;
  const size_t groups = experts_.size();
  std::vector<double> le(groups), le8(groups), le9(groups), dle(groups, 0.0);
  {
    J2 e_start = exp(J2(p[8], 0));
    J2 e_max = e_start + exp(J2(p[9], 1));
    for (size_t g = 0; g < groups; ++g) {
      J2 v = ln_e_hat(experts_[g], e_start, e_max);
      le[g] = v.a;
      le8[g] = v.v[0];
      le9[g] = v.v[1];
    }
  }
  double g[11] = {};
  double total = 0, rho[3];
  for (size_t i = 0; i < samples_.size(); ++i) {
    const Sample& s = samples_[i];
    const int k = group_[i];
    const double e = le[k], x0 = s.x[0], x1 = s.x[1];
    const double t1 = p[0] + p[2] * e + (p[1] + p[3] * e) * x0;
    const double t2 = p[4] + p[6] * e + (p[5] + p[7] * e) * x1;
    const double t3 = p[10];
    const double m = std::max(t1, std::max(t2, t3));
    // The largest term's exponential is 1: two exponentials per run instead of three.
    const double e1 = t1 == m ? 1.0 : std::exp(t1 - m), e2 = t2 == m ? 1.0 : std::exp(t2 - m),
                 e3 = t3 == m ? 1.0 : std::exp(t3 - m);
    const double sum = e1 + e2 + e3;
    const double r = s.ln_loss - (m + std::log(sum));
    huber_.Evaluate(r * r, rho);
    total += 0.5 * s.weight * rho[0];
    if (!gradient) continue;
    // d½ρ(r²)/dp = −ρ'(r²)·r·dL̂/dp; dL̂/dt_j are the softmax weights of the three terms.
    const double c = -s.weight * rho[1] * r / sum;
    const double w1 = c * e1, w2 = c * e2, w3 = c * e3;
    g[0] += w1, g[1] += w1 * x0, g[2] += w1 * e, g[3] += w1 * e * x0;
    g[4] += w2, g[5] += w2 * x1, g[6] += w2 * e, g[7] += w2 * e * x1;
    g[10] += w3;
    dle[k] += w1 * (p[2] + p[3] * x0) + w2 * (p[6] + p[7] * x1);
  }
  *cost = total;
  if (gradient) {
    for (size_t k = 0; k < groups; ++k) {
      g[8] += dle[k] * le8[k];
      g[9] += dle[k] * le9[k];
    }
    bool finite = true;
    for (int j = 0; j < 11; ++j) {
      gradient[j] = g[j];
      finite &= std::isfinite(g[j]);
    }
    if (!finite) return false;  // Ceres's Wolfe search needs value and gradient valid together
  }
  return std::isfinite(total);
}

}  // namespace moelaw::analysis
