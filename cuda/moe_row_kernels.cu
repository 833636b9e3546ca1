// The MoE layer's row movements: permutation into the send buffer, regrouping by an index, and
// the weighted combine with its backward. One block per row (or per token); a token's choices
// are taken in choice order, with explicit roundings (no fused multiply-add) like the reference.
#include "block_reduce.cuh"
#include "check.hpp"
#include "moe_kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 128;

// Block i: choice i's row. Its send position is the rows kept by lower experts plus its slot.
__global__ void permute_kernel(float* send, int32_t* position, const float* x, const int32_t* expert,
                               const int32_t* slot, const int64_t* kept, int64_t k, int64_t d) {
  __shared__ int64_t pos;
  const int64_t i = blockIdx.x;
  if (threadIdx.x == 0) {
    const int32_t e = expert[i];
    int64_t p = -1;
    if (e >= 0) {
      p = slot[i];
      for (int32_t lower = 0; lower < e; ++lower) p += kept[lower];
    }
    pos = p;
    position[i] = int32_t(p);
  }
  __syncthreads();
  if (pos < 0) return;
  const float* src = x + (i / k) * d;
  float* dst = send + pos * d;
  for (int64_t c = threadIdx.x; c < d; c += blockDim.x) dst[c] = src[c];
}

__global__ void gather_rows_kernel(float* out, const float* in, const int32_t* index, int64_t width) {
  const int64_t i = blockIdx.x;
  const float* src = in + int64_t(index[i]) * width;
  for (int64_t c = threadIdx.x; c < width; c += blockDim.x) out[i * width + c] = src[c];
}

__global__ void scatter_rows_kernel(float* out, const float* in, const int32_t* index, int64_t width) {
  const int64_t i = blockIdx.x;
  float* dst = out + int64_t(index[i]) * width;
  for (int64_t c = threadIdx.x; c < width; c += blockDim.x) dst[c] = in[i * width + c];
}

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

void moe_permute(float* send, int32_t* position, const float* x, const int32_t* expert, const int32_t* slot,
                 const int64_t* kept, int64_t N, int64_t /*E*/, int64_t k, int64_t d) {
  if (N * k == 0) return;
  permute_kernel<<<unsigned(N * k), kThreads>>>(send, position, x, expert, slot, kept, k, d);
  MOELAW_CUDA_LAUNCHED();
}

void gather_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width) {
  if (rows == 0) return;
  gather_rows_kernel<<<unsigned(rows), kThreads>>>(out, in, index, width);
  MOELAW_CUDA_LAUNCHED();
}

void scatter_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width) {
  if (rows == 0) return;
  scatter_rows_kernel<<<unsigned(rows), kThreads>>>(out, in, index, width);
  MOELAW_CUDA_LAUNCHED();
}

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
