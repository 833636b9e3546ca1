// MoE training-step time on one GPU against the dense model with the same active parameters
// (top-1 over experts as wide as the dense feed-forward), and where an MoE step's time goes:
// routing (router matmul, softmax/top-k/slots, its backward), permutation (send buffer,
// regrouping, combine), expert GEMMs (per-expert cuBLAS products and SwiGLU), and exchange (the
// all-to-all; the identity on one rank). Phases are timed in a second run with the device
// synchronised at every phase boundary, so the step time itself is taken without that overhead.
// usage: build/bench/gpu_moe_step [d_model n_blocks seq_len batch steps]
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda_backend.hpp"
#include "device_info.hpp"
#include "model/transformer.hpp"
#include "train/adamw.hpp"

namespace {

struct Shape {
  int64_t d, blocks, T, B, steps;
};

// Seconds per step (after a warm-up step); with phase timing on, the MoE layers' phase totals.
double time_steps(const Shape& s, int64_t experts, bool phases, moelaw::moe::MoePhaseTimes* times) {
  auto backend = moelaw::cuda::make_cuda_backend(0);
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
  step();  // warm-up: cuBLAS heuristics, the MoE layers' buffers
  if (cudaDeviceSynchronize() != cudaSuccess) std::abort();
  model.set_moe_phase_timing(phases);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < s.steps; ++i) step();
  if (cudaDeviceSynchronize() != cudaSuccess) std::abort();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (times) *times = model.moe_phase_times();
  return seconds / double(s.steps);
}

void bench(const Shape& s) {
  const double dense = time_steps(s, 1, false, nullptr);
  std::printf("d_model %ld blocks %ld seq %ld batch %ld: dense %.1f ms/step (%.0f tokens/s)\n", long(s.d),
              long(s.blocks), long(s.T), long(s.B), 1e3 * dense, double(s.B * s.T) / dense);
  for (int64_t E : {8, 32}) {
    const double moe = time_steps(s, E, false, nullptr);
    moelaw::moe::MoePhaseTimes t;
    const double timed = time_steps(s, E, true, &t);
    const double per_step = 1.0 / double(s.steps);
    std::printf("  E %2ld top-1 cf 1.0: %.1f ms/step, %.2fx dense; with phase timers %.1f ms/step, of which "
                "routing %.1f%%, permutation %.1f%%, expert GEMMs %.1f%%, exchange %.1f%%\n",
                long(E), 1e3 * moe, moe / dense, 1e3 * timed, 100.0 * t.routing * per_step / timed,
                100.0 * t.permutation * per_step / timed, 100.0 * t.experts * per_step / timed,
                100.0 * t.exchange * per_step / timed);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto info = moelaw::cuda::query_devices();
  if (info.count == 0) {
    std::printf("gpu_moe_step: no GPU (%s)\n", info.reason.c_str());
    return 0;
  }
  std::printf("gpu_moe_step on %s (CUDA backend, fp32)\n", info.reason.c_str());
  if (argc == 6) {
    bench({std::atol(argv[1]), std::atol(argv[2]), std::atol(argv[3]), std::atol(argv[4]), std::atol(argv[5])});
    return 0;
  }
  bench({768, 12, 1024, 16, 10});  // 16K tokens per step
  return 0;
}
