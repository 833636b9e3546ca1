// MoE training-step time on one GPU against the dense model with the same active parameters
// (top-1 over experts as wide as the dense feed-forward), and where an MoE step's time goes:
// routing (router matmul, softmax/top-k/slots, its backward), permutation (send buffer,
// regrouping, combine), expert GEMMs (per-expert cuBLAS products and SwiGLU), and exchange (the
// all-to-all; the identity on one rank). Phases are timed in a second run with the device
// synchronised at every phase boundary, so the step time itself is taken without that overhead.
// --bf16: mixed precision (default fp32). --expert-loop: also time the experts' products as one
// matmul per expert instead of the backend's grouped products (the same in fp32; in bf16 the
// grouped path converts the activations once for all experts), and in bf16 as one strided-batched
// product over a padded per-expert layout (issue 9: measure which).
// usage: build/bench/gpu_moe_step [--bf16] [--expert-loop] [d_model n_blocks seq_len batch steps]
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cuda_backend.hpp"
#include "device_info.hpp"
#include "model/transformer.hpp"
#include "train/adamw.hpp"

namespace {

struct Shape {
  int64_t d, blocks, T, B, steps;
};

struct Options {
  moelaw::backend::Precision precision = moelaw::backend::Precision::fp32;
  bool compare_expert_loop = false;
};

// How the experts' products run.
enum class ExpertProducts { grouped, loop, padded };

// Seconds per step (after a warm-up step); with phase timing on, the MoE layers' phase totals.
struct StepTimes {
  double plain = 0;  // seconds per step
  double timed = 0;  // seconds per step with the phase timers' synchronisations
  moelaw::moe::MoePhaseTimes phases;  // summed over the timed steps
};

// One model (building and initialising a big MoE model takes longer than timing it): the steps
// timed as they are, then again with the phase timers on.
StepTimes time_steps(const Shape& s, moelaw::backend::Precision precision, int64_t experts, ExpertProducts how,
                     bool phases) {
  auto backend = moelaw::cuda::make_cuda_backend(0, precision);
  moelaw::model::ModelDims dims{s.d, s.blocks, s.d / 64, 64, 50257, s.T};
  if (experts > 1) {
    dims.experts = experts;
    dims.expert_choices = 1;
    dims.expert_hidden = 3 * s.d;
    dims.capacity_factor = 1.0;
  }
  const int64_t micro = std::min<int64_t>(s.B, 8);
  moelaw::model::Transformer<float> model(*backend, dims, micro);
  model.initialize(1, 0.1);
  model.set_moe_expert_loop(how == ExpertProducts::loop);
  if (how == ExpertProducts::padded) moelaw::cuda::set_padded_expert_products(*backend, true);
  moelaw::train::AdamW adamw(*backend, model.table(), {0.9, 0.95, 1e-8, 0.1});
  std::vector<int32_t> tokens(size_t(s.B * s.T)), targets(size_t(s.B * s.T));
  for (int64_t i = 0; i < s.B * s.T; ++i) {
    tokens[size_t(i)] = int32_t((i * 7919) % 50257);
    targets[size_t(i)] = int32_t((i * 104729 + 1) % 50257);
  }
  auto step = [&] {
    model.zero_grad();
    model.forward_backward(tokens.data(), targets.data(), s.B, s.T);
    adamw.step(model.params(), model.grads(), 3e-4);
  };
  auto per_step = [&] {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < s.steps; ++i) step();
    if (cudaDeviceSynchronize() != cudaSuccess) std::abort();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / double(s.steps);
  };
  step();  // warm-up: cuBLAS heuristics, the MoE layers' buffers
  if (cudaDeviceSynchronize() != cudaSuccess) std::abort();
  StepTimes t;
  t.plain = per_step();
  if (phases) {
    model.set_moe_phase_timing(true);
    t.timed = per_step();
    t.phases = model.moe_phase_times();
  }
  return t;
}

void report(const char* label, const Shape& s, moelaw::backend::Precision precision, int64_t E, ExpertProducts how,
            double dense) {
  const StepTimes times = time_steps(s, precision, E, how, true);
  const double moe = times.plain, timed = times.timed;
  const moelaw::moe::MoePhaseTimes& t = times.phases;
  const double per_step = 1.0 / double(s.steps);
  std::printf("  E %2ld top-1 cf 1.0%s: %.1f ms/step, %.2fx dense; with phase timers %.1f ms/step, of which "
              "routing %.1f%%, permutation %.1f%%, expert GEMMs %.1f%% (%.2f ms), exchange %.1f%%\n",
              long(E), label, 1e3 * moe, moe / dense, 1e3 * timed, 100.0 * t.routing * per_step / timed,
              100.0 * t.permutation * per_step / timed, 100.0 * t.experts * per_step / timed,
              1e3 * t.experts * per_step, 100.0 * t.exchange * per_step / timed);
  std::fflush(stdout);
}

void bench(const Shape& s, const Options& o) {
  const double dense = time_steps(s, o.precision, 1, ExpertProducts::grouped, false).plain;
  std::printf("d_model %ld blocks %ld seq %ld batch %ld: dense %.1f ms/step (%.0f tokens/s)\n", long(s.d),
              long(s.blocks), long(s.T), long(s.B), 1e3 * dense, double(s.B * s.T) / dense);
  for (int64_t E : {8, 32}) {
    report(o.compare_expert_loop ? " grouped" : "", s, o.precision, E, ExpertProducts::grouped, dense);
    if (!o.compare_expert_loop) continue;
    report(" loop   ", s, o.precision, E, ExpertProducts::loop, dense);
    if (o.precision == moelaw::backend::Precision::bf16)
      report(" padded ", s, o.precision, E, ExpertProducts::padded, dense);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<long> numbers;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--bf16") == 0)
      o.precision = moelaw::backend::Precision::bf16;
    else if (std::strcmp(argv[i], "--expert-loop") == 0)
      o.compare_expert_loop = true;
    else
      numbers.push_back(std::atol(argv[i]));
  }
  if (!numbers.empty() && numbers.size() != 5) {
    std::fprintf(stderr, "usage: gpu_moe_step [--bf16] [--expert-loop] [d_model n_blocks seq_len batch steps]\n");
    return 2;
  }
  auto info = moelaw::cuda::query_devices();
  if (info.count == 0) {
    std::printf("gpu_moe_step: no GPU (%s)\n", info.reason.c_str());
    return 0;
  }
  const bool bf16 = o.precision == moelaw::backend::Precision::bf16;
  std::printf("gpu_moe_step on %s (CUDA backend, %s)\n", info.reason.c_str(), bf16 ? "bf16" : "fp32");
  if (numbers.size() == 5) {
    bench({numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]}, o);
    return 0;
  }
  bench({768, 12, 1024, 16, 10}, o);  // 16K tokens per step
  return 0;
}
