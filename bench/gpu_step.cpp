// GPU training-step throughput of the CUDA backend: forward, backward and AdamW on one GPU for
// the dense models of the CUDA issue (d_model 768 / 12 blocks and 1024 / 16 blocks at sequence
// lengths 512 and 1024), or one shape given on the command line.
// usage: build/bench/gpu_step [bf16|fp32] [d_model n_blocks seq_len batch steps]   (default bf16)
// Prints tokens/s, model FLOP utilisation against the dense bf16 tensor-core peak of the GPU it
// finds (by device name; 989.4 TFLOP/s for H100 SXM and H200), and the GPU memory the run used.
// MFU is against the bf16 peak in both precisions, so fp32 and bf16 runs compare directly.
// FLOPs per token: 6·N_act (DESIGN.md) plus attention's 12·n_blocks·d_model·seq_len.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "backend/precision.hpp"
#include "cuda_backend.hpp"
#include "device_info.hpp"
#include "model/param_count.hpp"
#include "model/transformer.hpp"
#include "train/adamw.hpp"

namespace {

using moelaw::backend::Precision;

struct Peak {
  double flops;       // dense bf16 tensor-core FLOP/s, 0 when the GPU is not known
  const char* which;  // what the figure is, for the output
};

// Dense (no sparsity) bf16 peaks from NVIDIA's data sheets.
Peak bf16_peak(const std::string& device) {
  auto has = [&device](const char* s) { return device.find(s) != std::string::npos; };
  if (has("H200") && has("NVL")) return {835.5e12, "H200 NVL dense bf16 peak 835.5 TFLOP/s"};
  if (has("H200")) return {989.4e12, "H200 SXM dense bf16 peak 989.4 TFLOP/s"};
  if (has("H100") && has("PCIe")) return {756.5e12, "H100 PCIe dense bf16 peak 756.5 TFLOP/s"};
  if (has("H100") && has("NVL")) return {835.5e12, "H100 NVL dense bf16 peak 835.5 TFLOP/s"};
  if (has("H100")) return {989.4e12, "H100 SXM dense bf16 peak 989.4 TFLOP/s"};
  if (has("A100")) return {312e12, "A100 dense bf16 peak 312 TFLOP/s"};
  return {0.0, "unknown GPU: no bf16 peak, MFU not computed"};
}

size_t device_bytes_in_use() {
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) return 0;
  return total_bytes - free_bytes;
}

void bench(Precision precision, const Peak& peak, int64_t d, int64_t blocks, int64_t T, int64_t B, int64_t steps) {
  const size_t baseline = device_bytes_in_use();
  size_t peak_bytes = baseline;
  double tokens_per_second = 0, flops_per_token = 0;
  {
    auto backend = moelaw::cuda::make_cuda_backend(0, precision);
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
    step();  // warm-up: cuBLAS(Lt) heuristics, scratch buffers, the bf16 weight copy
    cudaDeviceSynchronize();
    // Every buffer is allocated by the end of the first step and kept: memory in use after it is
    // the run's peak (sampled again after the timed steps to be sure).
    peak_bytes = std::max(peak_bytes, device_bytes_in_use());
    const auto start = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < steps; ++s) step();
    cudaDeviceSynchronize();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    peak_bytes = std::max(peak_bytes, device_bytes_in_use());
    const auto counts = moelaw::model::count_parameters({d, blocks, 50257, 1, 1, 1});
    // 6 FLOPs per weight of every matrix product (the input embedding is a lookup, not one) and
    // 12·L·d·T for attention's two products, as PaLM's MFU counts them (no causal halving).
    flops_per_token = 6.0 * double(counts.n_act - 50257 * d) + 12.0 * double(blocks * d * T);
    tokens_per_second = double(B * T * steps) / seconds;
  }
  char mfu[32] = "n/a";
  if (peak.flops > 0) std::snprintf(mfu, sizeof mfu, "%5.1f%%", 100.0 * tokens_per_second * flops_per_token / peak.flops);
  std::printf("%s d_model %4ld blocks %2ld seq %4ld batch %3ld: %9.0f tokens/s, MFU %s, peak GPU memory %.2f GiB "
              "(%.2f GiB with the CUDA context)\n",
              moelaw::backend::precision_name(precision), long(d), long(blocks), long(T), long(B), tokens_per_second,
              mfu, double(peak_bytes - baseline) / (1 << 30), double(peak_bytes) / (1 << 30));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  auto info = moelaw::cuda::query_devices();
  if (info.count == 0) {
    std::printf("gpu_step: no GPU (%s)\n", info.reason.c_str());
    return 0;
  }
  Precision precision = Precision::bf16;
  int first_shape_arg = 1;
  if (argc > 1 && (std::strcmp(argv[1], "bf16") == 0 || std::strcmp(argv[1], "fp32") == 0)) {
    precision = std::strcmp(argv[1], "bf16") == 0 ? Precision::bf16 : Precision::fp32;
    first_shape_arg = 2;
  }
  const int shape_args = argc - first_shape_arg;
  if (shape_args != 0 && shape_args != 5) {
    std::fprintf(stderr, "usage: %s [bf16|fp32] [d_model n_blocks seq_len batch steps]\n", argv[0]);
    return 2;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    std::fprintf(stderr, "gpu_step: cannot read the properties of GPU 0\n");
    return 1;
  }
  const Peak peak = bf16_peak(prop.name);
  std::printf("gpu_step on %s, CUDA backend in %s; MFU against the %s\n", prop.name,
              moelaw::backend::precision_name(precision), peak.which);
  if (shape_args == 5) {
    char** a = argv + first_shape_arg;
    bench(precision, peak, std::atol(a[0]), std::atol(a[1]), std::atol(a[2]), std::atol(a[3]), std::atol(a[4]));
    return 0;
  }
  for (auto [d, blocks] : {std::pair<int64_t, int64_t>{768, 12}, {1024, 16}})
    for (int64_t T : {512, 1024}) bench(precision, peak, d, blocks, T, 16384 / T, 10);  // 16K tokens per step
  return 0;
}
