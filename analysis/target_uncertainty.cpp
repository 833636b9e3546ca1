#include "analysis/target_uncertainty.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>

#include "analysis/bootstrap.hpp"
#include "analysis/linear_solve.hpp"
#include "analysis/optimal.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

constexpr double kZ90 = 1.2815515655446004;  // Φ⁻¹(0.9)

double coefficient(const Coefficients& c, const char* name) {
  for (const auto& [n, v] : c)
    if (n == name) return v;
  throw std::runtime_error(std::string("coefficient '") + name + "' missing");
}

Reduced reduced_at(const LawSpec& law, const std::vector<double>& p, double experts) {
  Coefficients c = law.coefficients(p.data());
  if (law.name() == "joint") return reduce_joint(c, experts);
  return {1, coefficient(c, "A"), -coefficient(c, "alpha"), coefficient(c, "B"), -coefficient(c, "beta"),
          coefficient(c, "E")};
}

// E[ψ²]/(σ²·E[ψ']²) of the Huber ψ with threshold δ under N(0, σ²): u = δ/σ.
double huber_factor(double u) {
  if (!(u < 50)) return 1.0;
  const double phi = std::exp(-u * u / 2) / std::sqrt(2 * M_PI);
  const double inside = std::erf(u / std::sqrt(2.0));  // P(|r| ≤ δ)
  if (inside < 1e-12) return M_PI / 2;
  return (inside - 2 * u * phi + u * u * (1 - inside)) / (inside * inside);
}

double step_for(double v) { return 1e-5 * std::max(1.0, std::abs(v)); }

}  // namespace

Quantity parse_quantity(const std::string& t) {
  if (t == "loss") return Quantity::loss;
  if (t == "N" || t == "n") return Quantity::n;
  if (t == "D" || t == "d") return Quantity::d;
  throw UsageError("--quantity must be loss, N or D, got '" + t + "'");
}

std::string quantity_name(Quantity q) { return q == Quantity::loss ? "loss" : q == Quantity::n ? "N" : "D"; }

void check_advisable(const LawSpec& law) {
  if (law.name() != "chinchilla" && law.name() != "joint")
    throw UsageError("--law " + law.name() + ": advise knows the compute optimum of chinchilla and joint only");
}

double target_scaled(const LawSpec& law, const std::vector<double>& params, const Target& t) {
  if (!t.points.empty()) {
    double sum = 0;
    for (const auto& x : t.points) sum += law.predict_ln(params.data(), x.data());
    if (!std::isfinite(sum)) throw std::runtime_error("the prediction is not finite at these coefficients");
    return sum / t.points.size();
  }
  const Reduced r = reduced_at(law, params, t.experts);
  Optimum o;
  try {
    o = compute_optimal(r, t.compute);
  } catch (const std::runtime_error&) {
    if (!(t.fallback_tokens_per_param > 0)) throw;
    o.n_act = std::sqrt(t.compute / (6 * t.fallback_tokens_per_param));  // C = 6·N·(ratio·N)
    o.tokens = t.fallback_tokens_per_param * o.n_act;
    o.loss = r.loss(o.n_act, o.tokens);
  }
  const double v = t.quantity == Quantity::loss ? o.loss : std::log(t.quantity == Quantity::n ? o.n_act : o.tokens);
  if (!std::isfinite(v)) throw std::runtime_error("the optimum is not finite at these coefficients");
  return v;
}

TargetInterval interval_of(Quantity q, double v, double sd) {
  if (q == Quantity::loss) return {v, v - kZ90 * sd, v + kZ90 * sd};
  return {std::exp(v), std::exp(v - kZ90 * sd), std::exp(v + kZ90 * sd)};
}

TargetLinearisation::TargetLinearisation(const LawSpec& law, const std::vector<double>& params,
                                         const std::vector<Sample>& samples, double huber_delta, const Target& target)
    : law_(law), params_(params), target_(target) {
  const int p = law.num_params();
  value_ = target_scaled(law, params, target);
  if (target.points.empty()) {
    g_ = Eigen::MatrixXd::Zero(p, 1);
    for (int k = 0; k < p; ++k) {
      auto up = params, down = params;
      const double h = step_for(params[k]);
      up[k] += h, down[k] -= h;
      g_(k, 0) = (target_scaled(law, up, target) - target_scaled(law, down, target)) / (2 * h);
    }
  } else {
    g_.resize(p, static_cast<Eigen::Index>(target.points.size()));
    for (size_t c = 0; c < target.points.size(); ++c) g_.col(static_cast<Eigen::Index>(c)) = jacobian_row(target.points[c]);
  }
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(p, p);
  double rss = 0;
  for (const Sample& s : samples) {
    Eigen::VectorXd j = jacobian_row(s.x);
    m += s.weight * j * j.transpose();
    const double r = s.ln_loss - law.predict_ln(params.data(), s.x.data());
    rss += s.weight * r * r;
  }
  const double dof = std::max<double>(1, static_cast<double>(samples.size()) - p);
  sigma_ = std::max(std::sqrt(rss / dof), 1e-6);
  s2_ = sigma_ * sigma_ * huber_factor(huber_delta / sigma_);
  const double ridge = 1e-9 * std::max(m.trace() / p, 1e-300);
  m += ridge * Eigen::MatrixXd::Identity(p, p);
  m_ = m;
  p_ = solve_symmetric(m, Eigen::MatrixXd::Identity(p, p));
  p_ = (p_ + p_.transpose()) / 2;
}

Eigen::VectorXd TargetLinearisation::jacobian_row(const std::array<double, 3>& x) const {
  const int p = law_.num_params();
  Eigen::VectorXd j(p);
  auto q = params_;
  for (int k = 0; k < p; ++k) {
    const double h = step_for(params_[k]), keep = q[k];
    q[k] = keep + h;
    const double up = law_.predict_ln(q.data(), x.data());
    q[k] = keep - h;
    const double down = law_.predict_ln(q.data(), x.data());
    q[k] = keep;
    j[k] = (up - down) / (2 * h);
  }
  return j;
}

double TargetLinearisation::variance() const {
  return std::max(0.0, s2_ * (g_.transpose() * p_ * g_).trace() / static_cast<double>(g_.cols()));
}

double TargetLinearisation::variance_after(const Eigen::VectorXd& j) const {
  const Eigen::VectorXd pj = p_ * j;
  const double gpj2 = (g_.transpose() * pj).squaredNorm() / static_cast<double>(g_.cols());
  return std::max(0.0, variance() - s2_ * gpj2 / (1 + j.dot(pj)));
}

void TargetLinearisation::add(const Eigen::VectorXd& j) {
  const Eigen::VectorXd pj = p_ * j;
  p_ -= pj * pj.transpose() / (1 + j.dot(pj));
  m_ += j * j.transpose();
}

TargetInterval bootstrap_target(const LawSpec& law, const std::vector<Sample>& samples, const std::vector<double>& best,
                                const Target& target, int refits, const FitOptions& options, uint64_t seed) {
  if (refits < 2) throw UsageError("--bootstrap needs at least 2 refits");
  std::vector<double> values(refits, NAN);
  std::atomic<int> next{0};
  auto work = [&] {
    for (int b; (b = next.fetch_add(1)) < refits;) {
      std::mt19937_64 rng(seed * 1000003 + b);  // per refit: the same answer with any thread count
      std::uniform_int_distribution<size_t> any(0, samples.size() - 1);
      std::vector<Sample> resampled(samples.size());
      for (auto& s : resampled) s = samples[any(rng)];
      try {
        values[b] = target_scaled(law, fit_from(law, resampled, best, options).params, target);
      } catch (const std::exception&) {
      }  // a refit without an optimum stays NaN and is left out
    }
  };
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  std::erase_if(values, [](double v) { return !std::isfinite(v); });
  if (values.size() < 2) throw std::runtime_error("bootstrap: fewer than two refits had an optimum");
  double lo = percentile(values, 0.1), hi = percentile(values, 0.9), mid = target_scaled(law, best, target);
  if (target.quantity == Quantity::loss) return {mid, lo, hi};
  return {std::exp(mid), std::exp(lo), std::exp(hi)};
}

}  // namespace moelaw::analysis
