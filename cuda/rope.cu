// Rotary position embedding: the forward rotates by +angle and overwrites, the backward rotates
// the gradient by −angle and accumulates (one kernel, `sign` and `accumulate` tell which).
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 256;

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

}  // namespace

void rope(float* out, const float* in, int64_t B, int64_t T, int64_t H, int64_t D, double theta, double sign,
          bool accumulate) {
  const int64_t n = B * T * H * (D / 2);
  if (n == 0) return;
  rope_kernel<<<blocks_for(n, kThreads), kThreads>>>(out, in, B, T, H, D, theta, sign, accumulate);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
