// The MoE layer's weighted combine of the experts' output rows into token rows, and its backward.
// One block per token; a token's choices are taken in choice order, with explicit roundings (no
// fused multiply-add) like the reference.
#include "block_reduce.cuh"
#include "check.hpp"
#include "kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 128;

// Block t: token t's output row, its choices added in choice order.
__global__ void combine_kernel(float* out, const float* rows, const float* probs, const int32_t* expert,
                               const int32_t* position, int64_t E, int64_t k, int64_t d, bool accumulate) {
  const int64_t t = blockIdx.x;
  for (int64_t c = threadIdx.x; c < d; c += blockDim.x) {
    float acc = accumulate ? out[t * d + c] : 0.0f;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t i = t * k + j, pos = position[i];
      if (pos < 0) continue;
      const float r = rows[pos * d + c];
      acc = __fadd_rn(acc, probs ? __fmul_rn(probs[t * E + expert[i]], r) : r);
    }
    out[t * d + c] = acc;
  }
}

// Block t: each kept choice's row gradient p·dout, and dprobs += dout·y (a block sum in double).
__global__ void combine_backward_kernel(float* drows, float* dprobs, const float* dout, const float* rows,
                                        const float* probs, const int32_t* expert, const int32_t* position,
                                        int64_t E, int64_t k, int64_t d) {
  const int64_t t = blockIdx.x;
  const float* g = dout + t * d;
  for (int64_t j = 0; j < k; ++j) {
    const int64_t i = t * k + j, pos = position[i];
    if (pos < 0) continue;  // the same for the whole block: block_sum below is reached by all or none
    const int64_t e = expert[i];
    const float p = probs[t * E + e];
    const float* y = rows + pos * d;
    double dot = 0;
    for (int64_t c = threadIdx.x; c < d; c += blockDim.x) {
      drows[pos * d + c] = __fmul_rn(p, g[c]);
      dot += double(g[c]) * double(y[c]);
    }
    dot = block_sum(dot);
    if (threadIdx.x == 0) dprobs[t * E + e] += float(dot);
  }
}

}  // namespace

void moe_combine(float* out, const float* rows, const float* probs, const int32_t* expert, const int32_t* position,
                 int64_t N, int64_t E, int64_t k, int64_t d, bool accumulate) {
  if (N == 0) return;
  combine_kernel<<<unsigned(N), kThreads>>>(out, rows, probs, expert, position, E, k, d, accumulate);
  MOELAW_CUDA_LAUNCHED();
}

void moe_combine_backward(float* drows, float* dprobs, const float* dout, const float* rows, const float* probs,
                          const int32_t* expert, const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d) {
  if (N == 0) return;
  combine_backward_kernel<<<unsigned(N), kThreads>>>(drows, dprobs, dout, rows, probs, expert, position, E, k, d);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
