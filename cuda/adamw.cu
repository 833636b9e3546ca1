// The AdamW update, optionally writing a bf16 copy of the updated parameters in the same pass.
#include <cmath>

#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 256;

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

void adamw(float* params, const float* grads, float* m, float* v, int64_t n, const backend::AdamWHyper& h,
           __nv_bfloat16* params_bf16) {
  if (n == 0) return;
  const double bias1 = 1.0 - std::pow(h.beta1, double(h.step));
  const double bias2 = 1.0 - std::pow(h.beta2, double(h.step));
  adamw_kernel<<<blocks_for(n, kThreads), kThreads>>>(params, grads, m, v, n, h.lr, h.beta1, h.beta2, h.eps,
                                                       h.weight_decay, bias1, bias2, params_bf16);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
