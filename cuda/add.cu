// The residual add: out = a + b.
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void add_kernel(float* out, const float* a, const float* b, int64_t n) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

}  // namespace

void add(float* out, const float* a, const float* b, int64_t n) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n, kThreads), kThreads>>>(out, a, b, n);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
