// Row-wise operations: RMSNorm, softmax cross-entropy, the causal softmax of attention, and
// the embedding lookup (the column reductions of their backwards are in kernels_columns.cu).
// One block per row; sums that the reference takes in double are taken in double here too.
#include "block_reduce.cuh"
#include "check.hpp"
#include "kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

__device__ inline void store(float* to, float x) { *to = x; }
__device__ inline void store(__nv_bfloat16* to, float x) { *to = __float2bfloat16_rn(x); }

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

__global__ void __launch_bounds__(1024) cross_entropy_forward_kernel(float* losses, float* rows, const int32_t* targets, int64_t V) {
  const int64_t n = blockIdx.x;
  float* row = rows + n * V;
  float max_logit = -INFINITY;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) max_logit = fmaxf(max_logit, row[j]);
  max_logit = block_max(max_logit);
  const int32_t target = targets[n];
  const double target_logit = target < 0 ? 0.0 : double(row[target] - max_logit);
  __syncthreads();  // every thread has read row[target] before it is overwritten
  double denom = 0;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
    const float e = expf(row[j] - max_logit);
    row[j] = e;
    denom += double(e);
  }
  denom = block_sum(denom);
  if (threadIdx.x == 0) losses[n] = target < 0 ? 0.0f : float(log(denom) - target_logit);
  const float inv = float(1.0 / denom);
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) row[j] *= inv;
}

__global__ void cross_entropy_backward_kernel(float* rows, const int32_t* targets, float s, int64_t N, int64_t V) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= N * V) return;
  const int64_t n = i / V, j = i % V;
  const int32_t target = targets[n];
  if (target < 0) {
    rows[i] = 0;
    return;
  }
  // Rounded as the CPU rounds (product, then difference): no fused multiply-add.
  const float p = __fmul_rn(rows[i], s);
  rows[i] = j == target ? __fsub_rn(p, s) : p;
}

// Row t of a [T,T] block keeps columns 0..t.
__global__ void __launch_bounds__(1024) causal_softmax_kernel(float* scores, int64_t T, float scale) {
  const int64_t row = blockIdx.x, t = row % T;
  float* p = scores + row * T;
  float max_score = -INFINITY;
  for (int64_t s = threadIdx.x; s <= t; s += blockDim.x) {
    p[s] *= scale;
    max_score = fmaxf(max_score, p[s]);
  }
  max_score = block_max(max_score);
  float denom = 0;
  for (int64_t s = threadIdx.x; s <= t; s += blockDim.x) {
    p[s] = expf(p[s] - max_score);
    denom += p[s];
  }
  denom = block_sum(denom);
  const float inv = 1.0f / denom;
  for (int64_t s = threadIdx.x; s < T; s += blockDim.x) p[s] = s <= t ? p[s] * inv : 0.0f;
}

__global__ void __launch_bounds__(1024) causal_softmax_backward_kernel(float* dp, const float* probs, int64_t T, float scale) {
  const int64_t row = blockIdx.x, t = row % T;
  float* d = dp + row * T;
  const float* p = probs + row * T;
  float weighted = 0;
  for (int64_t s = threadIdx.x; s <= t; s += blockDim.x) weighted += p[s] * d[s];
  weighted = block_sum(weighted);
  for (int64_t s = threadIdx.x; s < T; s += blockDim.x) d[s] = s <= t ? p[s] * (d[s] - weighted) * scale : 0.0f;
}

__global__ void embedding_forward_kernel(float* out, const int32_t* tokens, const float* table, int64_t N,
                                         int64_t C) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= N * C) return;
  const int64_t n = i / C, c = i % C;
  out[i] = table[int64_t(tokens[n]) * C + c];
}

unsigned grid(int64_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

int row_threads(int64_t width) { return width >= 4096 ? 1024 : width >= 512 ? 256 : 64; }

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

void cross_entropy_forward(float* losses, float* logits_to_probs, const int32_t* targets, int64_t N, int64_t V) {
  if (N == 0) return;
  cross_entropy_forward_kernel<<<unsigned(N), 1024>>>(losses, logits_to_probs, targets, V);
  MOELAW_CUDA_LAUNCHED();
}

void cross_entropy_backward(float* probs_to_dlogits, const int32_t* targets, double scale, int64_t N, int64_t V) {
  if (N * V == 0) return;
  cross_entropy_backward_kernel<<<grid(N * V, 256), 256>>>(probs_to_dlogits, targets, float(scale), N, V);
  MOELAW_CUDA_LAUNCHED();
}

void causal_softmax(float* scores_to_probs, int64_t blocks, int64_t T, float scale) {
  if (blocks * T == 0) return;
  causal_softmax_kernel<<<unsigned(blocks * T), row_threads(T)>>>(scores_to_probs, T, scale);
  MOELAW_CUDA_LAUNCHED();
}

void causal_softmax_backward(float* dprobs_to_dscores, const float* probs, int64_t blocks, int64_t T, float scale) {
  if (blocks * T == 0) return;
  causal_softmax_backward_kernel<<<unsigned(blocks * T), row_threads(T)>>>(dprobs_to_dscores, probs, T, scale);
  MOELAW_CUDA_LAUNCHED();
}

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C) {
  if (N * C == 0) return;
  embedding_forward_kernel<<<grid(N * C, 256), 256>>>(out, tokens, table, N, C);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
