#pragma once
// Laws of the loss as a function of the whole learning-rate schedule up to step t.
//
// multi-power (Luo et al. 2025):  L(t) = L0 + A·P(t)^−α − B·Σ_{k≤t} Δ_k·G(η_k^−γ·S_k(t)),
//   G(x) = 1 − (C·x + 1)^−β, P(t) = Σ_{τ≤t} η_τ (warm-up included: S1 + S_W), Δ_k = η_{k−1} − η_k,
//   S_k(t) = Σ_{τ=k..t} η_τ. The LR increases before the first decrease (the warm-up) count as Δ = 0.
// annealing (Tissue et al. 2024):  L(t) = L0 + A·P(t)^−α − C·Σ_{i≤t} m_i, m_i = λ·m_{i−1} + Δ_i.
//
// Parameters (in this order, the fitted form): multi-power L0, ln A, α, ln B, ln C, β, γ;
// annealing L0, ln A, α, ln C, h with λ = 1 − e^−h.
//
// The multi-power sum has one term per LR decrease (every step of a cosine), so evaluating it at
// t directly costs O(t). Instead, for each evaluation step the decreases are grouped by their
// distance d = t − k: one group per step for d < 16, then groups whose bounds grow by 10% (about
// 90 groups at t = 24,000); a group's term is its total decrease times G at its decrease-weighted
// mean x, from prefix sums over k that are recomputed once per parameter vector (they depend on
// γ). The grouping error is second order in the group's width (see tests/test_forecast_law.cpp).
#include <memory>
#include <string>
#include <vector>

namespace moelaw::analysis {

enum class ScheduleLawForm { multi_power, annealing };

struct ScheduleLawInfo {
  ScheduleLawForm form;
  std::string name;                   // "multi-power", "annealing"
  std::vector<std::string> params;    // fitted-form names
  std::vector<size_t> linear;         // indices of L0 and the two amplitudes (ln-form except L0)
};

const ScheduleLawInfo& schedule_law(ScheduleLawForm form);
// "multi-power" or "annealing"; UsageError otherwise.
ScheduleLawForm parse_schedule_law(const std::string& name);

// One curve's schedule prepared for evaluating a law at fixed steps.
class PreparedSchedule {
 public:
  virtual ~PreparedSchedule() = default;
  // loss[i] = L̂(steps[i]); jacobian (when not null) row-major steps × params, dL̂/dp.
  virtual void predict(const double* params, double* loss, double* jacobian) const = 0;
  size_t size() const { return steps_.size(); }
  const std::vector<long>& steps() const { return steps_; }

 protected:
  std::vector<long> steps_;
};

// lr[s] is the LR of step s (s = 0..T); every step in `steps` is in [0, T].
// `exact`: multi-power sums every decrease one by one (the reference the grouping is tested on).
std::unique_ptr<PreparedSchedule> prepare_schedule(ScheduleLawForm form, const std::vector<double>& lr,
                                                   const std::vector<long>& steps, bool exact = false);

// The last step of the initial warm-up: where the LR first stops rising.
long warmup_end(const std::vector<double>& lr);

// The law's coefficients for LRs multiplied by `scale` (η' = scale·η) that give the same losses:
// fits run on LRs divided by their peak, so that starting points do not depend on the LR's units.
std::vector<double> rescale_lr_units(ScheduleLawForm form, std::vector<double> params, double scale);

}  // namespace moelaw::analysis
