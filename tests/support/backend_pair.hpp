#pragma once
// For tests that run one operation on the CPU reference and on the CUDA backend with the same
// inputs: the two backends, arrays mirrored in both (and on the host, for bounds), and inputs.
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "backend/precision.hpp"
#include "cuda_backend.hpp"

namespace moelaw::testing {

struct BackendPair {
  std::unique_ptr<backend::Backend<float>> cpu = backend::make_cpu_backend<float>();
  std::unique_ptr<backend::Backend<float>> gpu;
  explicit BackendPair(backend::Precision precision = backend::Precision::fp32)
      : gpu(cuda::make_cuda_backend(0, precision)) {}
};

// The same values in the host vector and in both backends' memory.
template <typename U>
struct Mirrored {
  std::vector<U> host;
  backend::DeviceArray<U> cpu, gpu;
  Mirrored(BackendPair& p, std::vector<U> values)
      : host(std::move(values)), cpu(*p.cpu, host.size()), gpu(*p.gpu, host.size()) {
    cpu.upload(host.data(), host.size());
    gpu.upload(host.data(), host.size());
  }
  Mirrored(BackendPair& p, size_t n) : Mirrored(p, std::vector<U>(n, U(0))) {}
  std::vector<U> from_cpu() const { return download(cpu); }
  std::vector<U> from_gpu() const { return download(gpu); }
  static std::vector<U> download(const backend::DeviceArray<U>& a) {
    std::vector<U> v(a.size());
    a.download(v.data(), v.size());
    return v;
  }
};

// n normally distributed values with standard deviation `scale`.
inline std::vector<float> random(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace moelaw::testing
