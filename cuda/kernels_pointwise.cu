// Element-wise operations: residual add, scaling, SwiGLU, RoPE and AdamW (optionally writing a bf16
// copy of the updated parameters).
#include <cmath>

#include "check.hpp"
#include "kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

__global__ void add_kernel(float* out, const float* a, const float* b, int64_t n) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

__global__ void scale_kernel(float* x, int64_t n, double s) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i < n) x[i] = float(double(x[i]) * s);
}

__device__ inline void store(float* to, float x) { *to = x; }
__device__ inline void store(__nv_bfloat16* to, float x) { *to = __float2bfloat16_rn(x); }

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

// One thread per (position, head, pair); angles in double as the reference computes them.
__global__ void rope_kernel(float* out, const float* in, int64_t B, int64_t T, int64_t H, int64_t D, double theta,
                            double sign, bool accumulate) {
  const int64_t half = D / 2;
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= B * T * H * half) return;
  const int64_t pair = i % half, bth = i / half, t = (bth / H) % T;
  const double angle = double(t) * pow(theta, -2.0 * double(pair) / double(D));
  const float c = float(cos(angle)), s = float(sign * sin(angle));
  const int64_t base = bth * D;
  const float x1 = in[base + pair], x2 = in[base + pair + half];
  const float y1 = x1 * c - x2 * s, y2 = x2 * c + x1 * s;
  if (accumulate) {
    out[base + pair] += y1;
    out[base + pair + half] += y2;
  } else {
    out[base + pair] = y1;
    out[base + pair + half] = y2;
  }
}

__global__ void adamw_kernel(float* params, const float* grads, float* m, float* v, int64_t n, double lr,
                             double beta1, double beta2, double eps, double weight_decay, double bias1, double bias2,
                             __nv_bfloat16* params_bf16) {
  int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const double g = grads[i];
  const double mi = beta1 * double(m[i]) + (1.0 - beta1) * g;
  const double vi = beta2 * double(v[i]) + (1.0 - beta2) * g * g;
  m[i] = float(mi);
  v[i] = float(vi);
  const double update = (mi / bias1) / (sqrt(vi / bias2) + eps) + weight_decay * double(params[i]);
  const float p = float(double(params[i]) - lr * update);
  params[i] = p;
  // Rounded from the stored fp32 value, as to_bf16 would: the copy matches a full refresh bit for bit.
  if (params_bf16) params_bf16[i] = __float2bfloat16_rn(p);
}

}  // namespace

void add(float* out, const float* a, const float* b, int64_t n) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads>>>(out, a, b, n);
  MOELAW_CUDA_LAUNCHED();
}

void scale(float* x, int64_t n, double s) {
  if (n == 0) return;
  scale_kernel<<<blocks_for(n), kThreads>>>(x, n, s);
  MOELAW_CUDA_LAUNCHED();
}

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n) {
  if (n == 0) return;
  swiglu_forward_kernel<<<blocks_for(n), kThreads>>>(out, gate, up, n);
  MOELAW_CUDA_LAUNCHED();
}

void swiglu_forward(__nv_bfloat16* out, const float* gate, const float* up, int64_t n) {
  if (n == 0) return;
  swiglu_forward_kernel<<<blocks_for(n), kThreads>>>(out, gate, up, n);
  MOELAW_CUDA_LAUNCHED();
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n) {
  if (n == 0) return;
  swiglu_backward_kernel<<<blocks_for(n), kThreads>>>(dgate, dup, dout, gate, up, n);
  MOELAW_CUDA_LAUNCHED();
}

void rope(float* out, const float* in, int64_t B, int64_t T, int64_t H, int64_t D, double theta, double sign,
          bool accumulate) {
  const int64_t n = B * T * H * (D / 2);
  if (n == 0) return;
  rope_kernel<<<blocks_for(n), kThreads>>>(out, in, B, T, H, D, theta, sign, accumulate);
  MOELAW_CUDA_LAUNCHED();
}

void adamw(float* params, const float* grads, float* m, float* v, int64_t n, const backend::AdamWHyper& h,
           __nv_bfloat16* params_bf16) {
  if (n == 0) return;
  const double bias1 = 1.0 - std::pow(h.beta1, double(h.step));
  const double bias2 = 1.0 - std::pow(h.beta2, double(h.step));
  adamw_kernel<<<blocks_for(n), kThreads>>>(params, grads, m, v, n, h.lr, h.beta1, h.beta2, h.eps, h.weight_decay,
                                             bias1, bias2, params_bf16);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
