// RMSNorm: the forward and the input gradient one block per row (the sums of squares and dot
// products in double, as the reference takes them); the gain gradient a column reduction over
// positions, parallel yet deterministic without atomics: partial sums over fixed row ranges, then
// the ranges added in order.
#include <algorithm>

#include "block_reduce.cuh"
#include "check.hpp"
#include "cuda_memory.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

__device__ inline void store(float* to, float x) { *to = x; }
__device__ inline void store(__nv_bfloat16* to, float x) { *to = __float2bfloat16_rn(x); }

// Out: fp32, or bf16 for the bf16 backend's activations (rounded once, as to_bf16 would).
template <typename Out>
__global__ void __launch_bounds__(1024) rmsnorm_forward_kernel(Out* out, float* rstd, const float* in, const float* gain, int64_t C,
                                       double eps) {
  const int64_t n = blockIdx.x;
  const float* x = in + n * C;
  double ss = 0;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) ss += double(x[c]) * double(x[c]);
  ss = block_sum(ss);
  const float r = float(1.0 / sqrt(ss / double(C) + eps));
  if (threadIdx.x == 0) rstd[n] = r;
  Out* y = out + n * C;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) store(y + c, x[c] * r * gain[c]);
}

__global__ void __launch_bounds__(1024) rmsnorm_backward_input_kernel(float* din, const float* dout, const float* in, const float* gain,
                                              const float* rstd, int64_t C) {
  const int64_t n = blockIdx.x;
  const float* x = in + n * C;
  const float* dy = dout + n * C;
  const float r = rstd[n];
  double dot = 0;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) dot += double(gain[c]) * double(dy[c]) * double(x[c] * r);
  dot = block_sum(dot);
  const float mean_dot = float(dot / double(C));
  float* dx = din + n * C;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) dx[c] += r * (gain[c] * dy[c] - x[c] * r * mean_dot);
}

constexpr int kColumns = 32, kRowLanes = 8;

// Block (32 columns × 8 row lanes) for one range of rows: partial[range, c] = Σ dout·in·rstd.
__global__ void gain_partials_kernel(float* partial, const float* dout, const float* in, const float* rstd,
                                     int64_t N, int64_t C) {
  const int64_t c = int64_t(blockIdx.x) * kColumns + threadIdx.x;
  const int64_t range = blockIdx.y, ranges = gridDim.y;
  const int64_t begin = N * range / ranges, end = N * (range + 1) / ranges;
  float acc = 0;
  if (c < C)
    for (int64_t n = begin + threadIdx.y; n < end; n += kRowLanes) acc += dout[n * C + c] * in[n * C + c] * rstd[n];
  __shared__ float lanes[kRowLanes][kColumns + 1];
  lanes[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    float total = 0;
    for (int i = 0; i < kRowLanes; ++i) total += lanes[i][threadIdx.x];
    partial[range * C + c] = total;
  }
}

__global__ void add_partials_kernel(float* dgain, const float* partial, int64_t ranges, int64_t C) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float total = 0;
  for (int64_t r = 0; r < ranges; ++r) total += partial[r * C + c];
  dgain[c] += total;
}

}  // namespace

void rmsnorm_forward(float* out, float* rstd, const float* in, const float* gain, int64_t N, int64_t C, double eps) {
  if (N == 0) return;
  rmsnorm_forward_kernel<<<unsigned(N), row_threads(C)>>>(out, rstd, in, gain, C, eps);
  MOELAW_CUDA_LAUNCHED();
}

void rmsnorm_forward(__nv_bfloat16* out, float* rstd, const float* in, const float* gain, int64_t N, int64_t C,
                     double eps) {
  if (N == 0) return;
  rmsnorm_forward_kernel<<<unsigned(N), row_threads(C)>>>(out, rstd, in, gain, C, eps);
  MOELAW_CUDA_LAUNCHED();
}

void rmsnorm_backward(float* din, float* dgain, const float* dout, const float* in, const float* gain,
                      const float* rstd, int64_t N, int64_t C) {
  if (N == 0) return;
  rmsnorm_backward_input_kernel<<<unsigned(N), row_threads(C)>>>(din, dout, in, gain, rstd, C);
  MOELAW_CUDA_LAUNCHED();
  rmsnorm_backward_gain(dgain, dout, in, rstd, N, C);
}

void rmsnorm_backward_gain(float* dgain, const float* dout, const float* in, const float* rstd, int64_t N,
                           int64_t C) {
  if (N == 0 || C == 0) return;
  static backend::DeviceArray<float> partials;  // kept between calls (see reductions.cu)
  const int64_t ranges = std::clamp<int64_t>(N / 64, 1, 256);
  float* partial = partials.grow(device_memory(), size_t(ranges * C));
  const dim3 block(kColumns, kRowLanes), grid(unsigned((C + kColumns - 1) / kColumns), unsigned(ranges));
  gain_partials_kernel<<<grid, block>>>(partial, dout, in, rstd, N, C);
  MOELAW_CUDA_LAUNCHED();
  add_partials_kernel<<<unsigned((C + 127) / 128), 128>>>(dgain, partial, ranges, C);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
