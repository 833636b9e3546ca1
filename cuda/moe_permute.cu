// The MoE layer's permutation of token rows into the send buffer, experts one after the other
// (one block per choice).
#include "check.hpp"
#include "kernels.hpp"

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

}  // namespace

void moe_permute(float* send, int32_t* position, const float* x, const int32_t* expert, const int32_t* slot,
                 const int64_t* kept, int64_t N, int64_t /*E*/, int64_t k, int64_t d) {
  if (N * k == 0) return;
  permute_kernel<<<unsigned(N * k), kThreads>>>(send, position, x, expert, slot, kept, k, d);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
