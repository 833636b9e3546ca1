// SwiGLU, out = silu(gate)·up (fp32, or bf16 activations), and its backward (dgate, dup +=).
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 256;

__device__ inline void store(float* to, float x) { *to = x; }
__device__ inline void store(__nv_bfloat16* to, float x) { *to = __float2bfloat16_rn(x); }

// Out: fp32, or bf16 for the bf16 backend's activations (rounded once, as to_bf16 would).
template <typename Out>
__global__ void swiglu_forward_kernel(Out* out, const float* gate, const float* up, int64_t n) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n) {
    const float a = gate[i];
    store(out + i, a / (1.0f + expf(-a)) * up[i]);
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

void swiglu_forward(__nv_bfloat16* out, const float* gate, const float* up, int64_t n) {
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
