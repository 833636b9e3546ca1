// Softmax cross-entropy over the vocabulary, in place on the logits: the forward turns them into
// probabilities (one block per row, the denominator in double), the backward into dlogits.
#include "block_reduce.cuh"
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

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

}  // namespace

void cross_entropy_forward(float* losses, float* logits_to_probs, const int32_t* targets, int64_t N, int64_t V) {
  if (N == 0) return;
  cross_entropy_forward_kernel<<<unsigned(N), 1024>>>(losses, logits_to_probs, targets, V);
  MOELAW_CUDA_LAUNCHED();
}

void cross_entropy_backward(float* probs_to_dlogits, const int32_t* targets, double scale, int64_t N, int64_t V) {
  if (N * V == 0) return;
  cross_entropy_backward_kernel<<<blocks_for(N * V, 256), 256>>>(probs_to_dlogits, targets, float(scale), N, V);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
