#include "analysis/inference_cost.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "analysis/synthetic.hpp"

namespace moelaw::analysis {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double roofline(double flops, double bytes, const GpuSpec& gpu, int gpus) {
  return std::max(flops / (gpus * gpu.peak_flops), bytes / (gpus * gpu.bandwidth));
}

InferenceOptimum at(const Reduced& law, double budget, double ln_n, const GpuSpec& gpu, const ServingSpec& s) {
  InferenceOptimum o;
  o.experts = law.experts, o.n_act = std::exp(ln_n), o.tokens = budget / (6 * o.n_act);
  o.loss = law.loss(o.n_act, o.tokens);
  o.serving = cheapest_serving(model_dims(o.n_act, law.experts), gpu, s);
  return o;
}

// Bisection on ln N over [lo, hi] where `ok` turns once from true (at lo) to false (at hi): the
// last point where it holds and the first where it does not.
template <class Ok>
std::pair<double, double> boundary(double lo, double hi, Ok ok) {
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) (ok((lo + hi) / 2) ? lo : hi) = (lo + hi) / 2;
  return {lo, hi};
}

const double kLnMin = std::log(1e6);  // the smallest model considered

}  // namespace

ModelDims model_dims(double n_act, double experts) {
  ModelShape m = model_shape(d_model_for_n_act(n_act), experts);
  return {m.d_model, m.n_blocks, experts, m.n_act, m.n_total};
}

ServingCost serving_cost(const ModelDims& m, const GpuSpec& gpu, const ServingSpec& s, int gpus) {
  ServingCost c;
  c.gpus = gpus;
  const double b = s.bytes_per_value;
  const double weights = b * m.n_total;
  const double kv_per_sequence = b * (2 * s.prompt + s.output) * m.d_model * m.n_blocks;
  c.batch = std::floor((gpus * gpu.memory_bytes - weights) / kv_per_sequence);
  if (!(c.batch >= 1)) {
    c.batch = 0, c.cost_per_token = kInf;
    return c;
  }
  // Decoding: one token per sequence; every weight and the batch's KV cache are read once.
  c.decode_latency = roofline(2 * m.n_act * c.batch, weights + c.batch * kv_per_sequence, gpu, gpus);
  // Prefill of the batch/n sequences that start per iteration: p tokens each, the weights read once.
  const double sequences = c.batch / s.output;
  c.prefill_latency = roofline(2 * m.n_act * sequences * s.prompt, weights, gpu, gpus);
  c.throughput = c.batch / (c.prefill_latency + c.decode_latency);
  c.cost_per_token = gpus * gpu.cost_per_second / c.throughput;
  return c;
}

ServingCost cheapest_serving(const ModelDims& m, const GpuSpec& gpu, const ServingSpec& s) {
  ServingCost best;
  best.cost_per_token = kInf;
  for (int g = 1; g <= gpu.max_gpus; ++g) {
    ServingCost c = serving_cost(m, gpu, s, g);
    if (c.cost_per_token < best.cost_per_token) best = c;
  }
  return best;
}

namespace {

// Per E, `one(law, ln N of its compute optimum)`; of the feasible answers the one `better` prefers.
template <class One, class Better>
InferenceOptimum best_over_experts(const std::vector<Reduced>& laws, double budget, std::vector<InferenceOptimum>* per_e,
                                   const One& one, const Better& better) {
  InferenceOptimum best;
  for (const Reduced& law : laws) {
    InferenceOptimum o = one(law, std::log(compute_optimal(law, budget).n_act));
    if (per_e) per_e->push_back(o);
    if (o.feasible && (!best.feasible || better(o, best))) best = o;
  }
  return best;
}

}  // namespace

InferenceOptimum least_cost_for_loss(const std::vector<Reduced>& laws, double budget, double target,
                                     const GpuSpec& gpu, const ServingSpec& s, std::vector<InferenceOptimum>* per_e) {
  auto one = [&](const Reduced& law, double hi) {
    // Along the budget, L(N) falls up to the compute optimum: the smallest N reaching the target.
    InferenceOptimum o = at(law, budget, hi, gpu, s);
    if (o.loss > target) return o;
    auto misses = [&](double u) { return law.loss(std::exp(u), budget / (6 * std::exp(u))) > target; };
    o = at(law, budget, misses(kLnMin) ? boundary(kLnMin, hi, misses).second : kLnMin, gpu, s);
    o.feasible = std::isfinite(o.serving.cost_per_token);
    return o;
  };
  return best_over_experts(laws, budget, per_e, one, [](const InferenceOptimum& a, const InferenceOptimum& b) {
    return a.serving.cost_per_token < b.serving.cost_per_token;
  });
}

InferenceOptimum least_loss_for_cost(const std::vector<Reduced>& laws, double budget, double bound,
                                     const GpuSpec& gpu, const ServingSpec& s, std::vector<InferenceOptimum>* per_e) {
  auto one = [&](const Reduced& law, double hi) {
    // The cost grows with N: the largest N up to the compute optimum within the bound.
    auto affordable = [&](double u) { return at(law, budget, u, gpu, s).serving.cost_per_token <= bound; };
    InferenceOptimum o;
    o.experts = law.experts;
    if (!affordable(kLnMin)) return o;
    o = at(law, budget, affordable(hi) ? hi : boundary(kLnMin, hi, affordable).first, gpu, s);
    o.feasible = true;
    return o;
  };
  return best_over_experts(laws, budget, per_e, one,
                           [](const InferenceOptimum& a, const InferenceOptimum& b) { return a.loss < b.loss; });
}

}  // namespace moelaw::analysis
