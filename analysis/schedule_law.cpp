#include "analysis/schedule_law.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

using Sum = long double;  // prefix sums over ~10^5 steps are differenced over a few steps

// P[s] = Σ_{τ≤s} η_τ, floored so that P^−α stays finite before the first step trains.
std::vector<Sum> lr_area(const std::vector<double>& lr) {
  std::vector<Sum> p(lr.size());
  Sum acc = 0;
  for (size_t s = 0; s < lr.size(); ++s) p[s] = acc += lr[s];
  return p;
}

double area_at(const std::vector<Sum>& p, long t) { return std::max<double>(static_cast<double>(p[t]), 1e-300); }

// The decreases Δ_k = η_{k−1} − η_k (k ≥ 1); the increases before the first decrease (the
// warm-up) are not counted as negative decreases.
std::vector<double> decreases(const std::vector<double>& lr) {
  std::vector<double> d(lr.size(), 0.0);
  size_t first = 1;
  while (first < lr.size() && lr[first] >= lr[first - 1]) ++first;
  for (size_t k = first; k < lr.size(); ++k) d[k] = lr[k - 1] - lr[k];
  return d;
}

class MultiPower final : public PreparedSchedule {
 public:
  MultiPower(const std::vector<double>& lr, const std::vector<long>& steps, bool exact) : area_(lr_area(lr)) {
    steps_ = steps;
    const std::vector<double> delta = decreases(lr);
    const double peak = *std::max_element(lr.begin(), lr.end());
    // Each part keeps only the steps with a change of its sign (a constant stretch costs nothing).
    for (int sign : {1, -1}) {
      Part part{sign, {}, {}, {}, {0}};
      for (size_t k = 1; k < lr.size(); ++k) {
        if (!(sign * delta[k] > 0)) continue;
        part.k.push_back(static_cast<long>(k));
        part.w.push_back(sign * delta[k]);
        // An LR of exactly 0 after a decrease would make η^−γ infinite: its drop counts in full.
        part.log_lr.push_back(std::log(std::max(lr[k], 1e-6 * peak)));
        part.weight.push_back(part.weight.back() + part.w.back());
      }
      if (!part.k.empty()) parts_.push_back(std::move(part));
    }
    group_begin_.push_back(0);
    for (long t : steps_) {
      // Bounds on the distance d = t − k: single steps up to 16, then 10% wider each.
      long lo = 0;
      while (lo < t) {
        long hi = exact || lo < 16 ? lo + 1 : std::max(lo + 1, static_cast<long>(std::ceil(lo * 1.1)));
        hi = std::min(hi, t);
        for (size_t p = 0; p < parts_.size(); ++p) {
          // Positions in the part of the steps k in [t − hi + 1, t − lo].
          const auto& ks = parts_[p].k;
          size_t a = std::lower_bound(ks.begin(), ks.end(), t - hi + 1) - ks.begin();
          size_t b = std::upper_bound(ks.begin(), ks.end(), t - lo) - ks.begin();
          Sum w = parts_[p].weight[b] - parts_[p].weight[a];
          if (b > a && w > 0) groups_.push_back({a, b, p, static_cast<double>(w)});
        }
        lo = hi;
      }
      group_begin_.push_back(groups_.size());
    }
  }

  void predict(const double* p, double* loss, double* jac) const override {
    const double L0 = p[0], A = std::exp(p[1]), alpha = p[2], B = std::exp(p[3]), C = std::exp(p[4]), beta = p[5],
                 gamma = p[6];
    // Per part, prefix sums of w·η^−γ, w·η^−γ·P(k−1) and their derivatives in γ (reused buffers:
    // a fit evaluates thousands of times).
    // Buffers only grow: curves of different lengths share them, and shrinking would free them.
    thread_local std::vector<std::array<std::vector<Sum>, 4>> prefix;
    if (prefix.size() < parts_.size()) prefix.resize(parts_.size());
    for (size_t q = 0; q < parts_.size(); ++q) {
      const Part& part = parts_[q];
      auto& pre = prefix[q];
      for (auto& v : pre)
        if (v.size() < part.k.size() + 1) v.resize(part.k.size() + 1);
      Sum a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      pre[0][0] = pre[1][0] = pre[2][0] = pre[3][0] = 0;
      for (size_t j = 0; j < part.k.size(); ++j) {
        const double e = part.w[j] * std::exp(-gamma * part.log_lr[j]);
        const Sum before = area_[part.k[j] - 1];
        a0 += e, a1 += e * before, a2 += -part.log_lr[j] * e, a3 += -part.log_lr[j] * e * before;
        pre[0][j + 1] = a0, pre[1][j + 1] = a1, pre[2][j + 1] = a2, pre[3][j + 1] = a3;
      }
    }
    for (size_t i = 0; i < steps_.size(); ++i) {
      const long t = steps_[i];
      const Sum Pt = area_[t];
      double sG = 0, sC = 0, sB = 0, sg = 0;
      for (size_t g = group_begin_[i]; g < group_begin_[i + 1]; ++g) {
        const Group& grp = groups_[g];
        const auto& pre = prefix[grp.part];
        auto diff = [&](int j) { return pre[j][grp.end] - pre[j][grp.begin]; };
        // The group's decrease-weighted mean of x = η_k^−γ·S_k(t), S_k(t) = P(t) − P(k−1), and its γ-derivative.
        double x = std::max(0.0, static_cast<double>((Pt * diff(0) - diff(1)) / grp.weight));
        double xg = static_cast<double>((Pt * diff(2) - diff(3)) / grp.weight);
        double u = C * x + 1, lu = std::log(u), v = std::exp(-beta * lu);
        double w = parts_[grp.part].sign * grp.weight;
        double dv = beta * v / u * C;  // dG/dx
        sG += w * (1 - v), sB += w * v * lu, sC += w * dv * x, sg += w * dv * xg;
      }
      const double P = area_at(area_, t), power = A * std::pow(P, -alpha);
      loss[i] = L0 + power - B * sG;
      if (jac) {
        double* row = jac + i * 7;
        row[0] = 1, row[1] = power, row[2] = -power * std::log(P), row[3] = -B * sG;
        row[4] = -B * sC, row[5] = -B * sB, row[6] = -B * sg;
      }
    }
  }

 private:
  struct Part {
    int sign;                    // +1: LR decreases, −1: increases after the warm-up
    std::vector<long> k;         // the steps with a change of this sign
    std::vector<double> w, log_lr;  // |Δ_k| and ln η_k there
    std::vector<Sum> weight;     // prefix sums of w (one more than k)
  };
  struct Group {
    size_t begin, end;  // positions in the part, half-open
    size_t part;
    double weight;
  };
  std::vector<Sum> area_;
  std::vector<Part> parts_;
  std::vector<Group> groups_;
  std::vector<size_t> group_begin_;
};

class Annealing final : public PreparedSchedule {
 public:
  Annealing(const std::vector<double>& lr, const std::vector<long>& steps) : area_(lr_area(lr)), delta_(decreases(lr)) {
    steps_ = steps;
  }

  void predict(const double* p, double* loss, double* jac) const override {
    const double L0 = p[0], A = std::exp(p[1]), alpha = p[2], C = std::exp(p[3]), h = p[4];
    const double lambda = 1 - std::exp(-h);
    // S2(t) = Σ_{i≤t} m_i and its derivative in λ, once over the whole schedule.
    std::vector<double> s2(area_.size()), ds2(area_.size());
    double m = 0, dm = 0, a = 0, da = 0;
    for (size_t i = 0; i < area_.size(); ++i) {
      dm = m + lambda * dm;
      m = lambda * m + delta_[i];
      s2[i] = a += m, ds2[i] = da += dm;
    }
    for (size_t i = 0; i < steps_.size(); ++i) {
      const long t = steps_[i];
      const double P = area_at(area_, t), power = A * std::pow(P, -alpha);
      loss[i] = L0 + power - C * s2[t];
      if (jac) {
        double* row = jac + i * 5;
        row[0] = 1, row[1] = power, row[2] = -power * std::log(P), row[3] = -C * s2[t];
        row[4] = -C * ds2[t] * std::exp(-h);
      }
    }
  }

 private:
  std::vector<Sum> area_;
  std::vector<double> delta_;
};

}  // namespace

const ScheduleLawInfo& schedule_law(ScheduleLawForm form) {
  static const ScheduleLawInfo multi{ScheduleLawForm::multi_power, "multi-power",
                                     {"L0", "ln_A", "alpha", "ln_B", "ln_C", "beta", "gamma"}, {0, 1, 3}};
  static const ScheduleLawInfo annealing{ScheduleLawForm::annealing, "annealing",
                                         {"L0", "ln_A", "alpha", "ln_C", "h"}, {0, 1, 3}};
  return form == ScheduleLawForm::multi_power ? multi : annealing;
}

ScheduleLawForm parse_schedule_law(const std::string& name) {
  if (name == "multi-power") return ScheduleLawForm::multi_power;
  if (name == "annealing") return ScheduleLawForm::annealing;
  throw UsageError("unknown loss-curve law '" + name + "' (multi-power or annealing)");
}

std::unique_ptr<PreparedSchedule> prepare_schedule(ScheduleLawForm form, const std::vector<double>& lr,
                                                   const std::vector<long>& steps, bool exact) {
  for (long t : steps)
    if (t < 0 || t >= static_cast<long>(lr.size())) throw std::out_of_range("prepare_schedule: step outside the schedule");
  if (form == ScheduleLawForm::multi_power) return std::make_unique<MultiPower>(lr, steps, exact);
  return std::make_unique<Annealing>(lr, steps);
}

long warmup_end(const std::vector<double>& lr) {
  size_t s = 0;
  while (s + 1 < lr.size() && lr[s + 1] > lr[s]) ++s;
  return static_cast<long>(s);
}

std::vector<double> rescale_lr_units(ScheduleLawForm form, std::vector<double> p, double scale) {
  const double ls = std::log(scale);
  p[1] += p[2] * ls;  // A·P^−α = A·s^α·(sP)^−α
  if (form == ScheduleLawForm::multi_power) {
    p[3] -= ls;                // B·Δ = (B/s)·(sΔ)
    p[4] += (p[6] - 1) * ls;   // η^−γ·S = s^(γ−1)·(sη)^−γ·(sS)
  } else {
    p[3] -= ls;                // C·S2 = (C/s)·(s·S2)
  }
  return p;
}

}  // namespace moelaw::analysis
