// SwiGLU, out = silu(gate)·up, and its backward (dgate, dup +=).
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void swiglu_forward_kernel(float* out, const float* gate, const float* up, int64_t n) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n) {
    const float a = gate[i];
    out[i] = a / (1.0f + expf(-a)) * up[i];
  }
}

__global__ void swiglu_backward_kernel(float* dgate, float* dup, const float* dout, const float* gate,
                                       const float* up, int64_t n) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n) {
    const float a = gate[i];
    const float sig = 1.0f / (1.0f + expf(-a));
    dgate[i] += dout[i] * up[i] * sig * (1.0f + a * (1.0f - sig));
    dup[i] += dout[i] * a * sig;
  }
}

}  // namespace

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n) {
  if (n == 0) return;
  swiglu_forward_kernel<<<blocks_for(n, kThreads), kThreads>>>(out, gate, up, n);
  MOELAW_CUDA_LAUNCHED();
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n) {
  if (n == 0) return;
  swiglu_backward_kernel<<<blocks_for(n, kThreads), kThreads>>>(dgate, dup, dout, gate, up, n);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
