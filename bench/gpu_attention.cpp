// Attention forward and backward on one GPU: the bf16 flash kernels against the fp32 cuBLAS path
// (batched GEMMs around a causal softmax, probabilities saved), for the dense models' shapes
// (heads of 64; 12 heads at d_model 768, 16 at 1024; sequences of 512 and 1024), or one shape
// given on the command line.
// usage: build/bench/gpu_attention [B H T D iterations]
// Causal FLOPs: forward 4·B·H·T²·D/2 (two products over half the score matrix), backward 2.5×
// that (five products, the dq pass recomputing S and dP counted as in FlashAttention-2).
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "backend/precision.hpp"
#include "check.hpp"
#include "cuda_backend.hpp"
#include "device_info.hpp"

namespace {

using moelaw::backend::DeviceArray;
using moelaw::backend::Precision;

struct Timing {
  double forward_ms, backward_ms;
};

Timing time_attention(Precision precision, int64_t B, int64_t H, int64_t T, int64_t D, int iterations) {
  auto backend = moelaw::cuda::make_cuda_backend(0, precision);
  const size_t n = size_t(B * T * H * D);
  std::vector<float> host(n);
  std::mt19937_64 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& x : host) x = dist(rng);
  auto filled = [&] {
    DeviceArray<float> a(*backend, n);
    a.upload(host.data(), n);
    return a;
  };
  DeviceArray<float> q = filled(), k = filled(), v = filled(), dout = filled(), out = filled();
  DeviceArray<float> dq = filled(), dk = filled(), dv = filled();
  DeviceArray<float> state(*backend, size_t(backend->attention_state_size(B, T, H, D)));
  auto forward = [&] { backend->attention_forward(out.data(), state.data(), q.data(), k.data(), v.data(), B, T, H, D); };
  auto backward = [&] {
    backend->attention_backward(dq.data(), dk.data(), dv.data(), dout.data(), out.data(), state.data(), q.data(),
                                k.data(), v.data(), B, T, H, D);
  };
  auto time_ms = [&](auto&& op) {
    op();  // warm-up (and lazy allocations)
    MOELAW_CUDA_CHECK(cudaDeviceSynchronize());
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) op();
    MOELAW_CUDA_CHECK(cudaDeviceSynchronize());
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iterations;
  };
  forward();
  const double f = time_ms(forward);
  const double b = time_ms(backward);
  return {f, b};
}

void bench(int64_t B, int64_t H, int64_t T, int64_t D, int iterations) {
  const double forward_flops = 4.0 * double(B * H) * double(T) * double(T) * double(D) / 2;
  const double backward_flops = 2.5 * forward_flops;
  for (Precision p : {Precision::fp32, Precision::bf16}) {
    const Timing t = time_attention(p, B, H, T, D, iterations);
    std::printf("%-6s B=%-3lld H=%-3lld T=%-5lld D=%-4lld  forward %8.3f ms %7.1f TFLOP/s   backward %8.3f ms %7.1f "
                "TFLOP/s   both %7.1f TFLOP/s\n",
                p == Precision::bf16 ? "flash" : "cublas", (long long)B, (long long)H, (long long)T, (long long)D,
                t.forward_ms, forward_flops / t.forward_ms * 1e-9, t.backward_ms, backward_flops / t.backward_ms * 1e-9,
                (forward_flops + backward_flops) / (t.forward_ms + t.backward_ms) * 1e-9);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto devices = moelaw::cuda::query_devices();
  if (devices.count == 0) {
    std::printf("no GPU here (%s)\n", devices.reason.c_str());
    return 0;
  }
  if (argc == 6) {
    bench(std::atoll(argv[1]), std::atoll(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]), std::atoi(argv[5]));
    return 0;
  }
  // "cublas" is the fp32 path (state: probabilities); "flash" the bf16 kernels (state: LSE).
  for (int64_t B : {8, 16})
    for (int64_t H : {12, 16})
      for (int64_t T : {512, 1024}) bench(B, H, T, 64, 10);
  return 0;
}
