// GPU training-step throughput of the CUDA backend: forward, backward and AdamW on one GPU for
// the dense models of the CUDA issue (d_model 768 / 12 blocks and 1024 / 16 blocks at sequence
// lengths 512 and 1024), or one shape given on the command line.
// usage: build/bench/gpu_step [d_model n_blocks seq_len batch steps]
// Prints tokens/s, model FLOP utilisation against the H100 SXM's dense bf16 peak (989 TFLOP/s)
// and its fp32 peak (67 TFLOP/s; this first backend computes in fp32), and peak GPU memory.
// FLOPs per token: 6·N_act (DESIGN.md) plus attention's 12·n_blocks·d_model·seq_len.
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda_backend.hpp"
#include "device_info.hpp"
#include "model/param_count.hpp"
#include "model/transformer.hpp"
#include "train/adamw.hpp"

namespace {

constexpr double kBf16Peak = 989e12, kFp32Peak = 67e12;

void bench(int64_t d, int64_t blocks, int64_t T, int64_t B, int64_t steps) {
  auto backend = moelaw::cuda::make_cuda_backend(0);
  const moelaw::model::ModelDims dims{d, blocks, d / 64, 64, 50257, T};
  moelaw::model::Transformer<float> model(*backend, dims, B);
  model.initialize(1, 0.1);
  moelaw::train::AdamW adamw(*backend, model.table(), {0.9, 0.95, 1e-8, 0.1});
  std::vector<int32_t> tokens(size_t(B * T)), targets(size_t(B * T));
  for (int64_t i = 0; i < B * T; ++i) {
    tokens[size_t(i)] = int32_t((i * 7919) % 50257);
    targets[size_t(i)] = int32_t((i * 104729 + 1) % 50257);
  }
  auto step = [&] {
    model.zero_grad();
    model.forward_backward(tokens.data(), targets.data(), B, T);
    adamw.step(model.params(), model.grads(), 3e-4);
  };
  step();  // warm-up: cuBLAS heuristics, allocations
  cudaDeviceSynchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < steps; ++s) step();
  cudaDeviceSynchronize();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto counts = moelaw::model::count_parameters({d, blocks, 50257, 1, 1, 1});
  const double flops_per_token = 6.0 * double(counts.n_act) + 12.0 * double(blocks * d * T);
  const double tokens_per_second = double(B * T * steps) / seconds;
  size_t free_bytes = 0, total_bytes = 0;
  cudaMemGetInfo(&free_bytes, &total_bytes);
  std::printf("d_model %4ld blocks %2ld seq %4ld batch %3ld: %9.0f tokens/s, MFU %5.1f%% of bf16 peak, "
              "%5.1f%% of fp32 peak, GPU memory in use %.1f GiB\n",
              long(d), long(blocks), long(T), long(B), tokens_per_second,
              100.0 * tokens_per_second * flops_per_token / kBf16Peak,
              100.0 * tokens_per_second * flops_per_token / kFp32Peak,
              double(total_bytes - free_bytes) / (1 << 30));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  auto info = moelaw::cuda::query_devices();
  if (info.count == 0) {
    std::printf("gpu_step: no GPU (%s)\n", info.reason.c_str());
    return 0;
  }
  std::printf("gpu_step on %s (CUDA backend, fp32)\n", info.reason.c_str());
  if (argc == 6) {
    bench(std::atol(argv[1]), std::atol(argv[2]), std::atol(argv[3]), std::atol(argv[4]), std::atol(argv[5]));
    return 0;
  }
  for (auto [d, blocks] : {std::pair<int64_t, int64_t>{768, 12}, {1024, 16}})
    for (int64_t T : {512, 1024}) bench(d, blocks, T, 16384 / T, 10);  // 16K tokens per step
  return 0;
}
