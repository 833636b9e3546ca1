// x *= s in place (gradient clipping), the product taken in double as the reference takes it.
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void scale_kernel(float* x, int64_t n, double s) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n) x[i] = float(double(x[i]) * s);
}

}  // namespace

void scale(float* x, int64_t n, double s) {
  if (n == 0) return;
  scale_kernel<<<blocks_for(n, kThreads), kThreads>>>(x, n, s);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
