// fp32 → bf16 conversion of matrix-product operands (round to nearest even), and the packed ↔
// padded row layouts of the experts' batched products.
#include <cuda_bf16.h>

#include <algorithm>
#include <cstdint>

#include "check.hpp"
#include "kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 4096;  // grid-stride loops beyond this: enough to fill any current GPU

// Four bf16 values stored with one 8-byte write.
struct alignas(8) Bf16x4 {
  __nv_bfloat162 lo, hi;
};

// The conversion is memory-bound: 16-byte loads and 8-byte stores keep it at bandwidth. Needs src
// 16-byte and dst 8-byte aligned; the n % 4 tail is done element by element by the first threads.
__global__ void to_bf16_vec4_kernel(__nv_bfloat16* dst, const float* src, int64_t n) {
  const int64_t vectors = n / 4, first = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const auto* src4 = reinterpret_cast<const float4*>(src);
  auto* dst4 = reinterpret_cast<Bf16x4*>(dst);
  for (int64_t i = first; i < vectors; i += stride) {
    const float4 v = src4[i];
    dst4[i] = Bf16x4{__floats2bfloat162_rn(v.x, v.y), __floats2bfloat162_rn(v.z, v.w)};
  }
  const int64_t tail = vectors * 4 + first;
  if (tail < n) dst[tail] = __float2bfloat16_rn(src[tail]);
}

__global__ void to_bf16_kernel(__nv_bfloat16* dst, const float* src, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += stride)
    dst[i] = __float2bfloat16_rn(src[i]);
}

// Element i of the padded [groups, R, C] layout: its group, its row in the group, its column.
struct PaddedIndex {
  int64_t g, r, c;
};
__device__ PaddedIndex padded_index(int64_t i, int64_t R, int64_t C) {
  const int64_t row = i / C;
  return {row / R, row % R, i % C};
}

__device__ inline __nv_bfloat16 rounded(float x) { return __float2bfloat16_rn(x); }
__device__ inline __nv_bfloat16 rounded(__nv_bfloat16 x) { return x; }

template <typename Src>
__global__ void to_bf16_padded_kernel(__nv_bfloat16* dst, const Src* src, const GroupOffsets offsets, int64_t n,
                                      int64_t R, int64_t C) {
  const int64_t* first = offsets.first;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += stride) {
    const PaddedIndex p = padded_index(i, R, C);
    const int64_t row = first[p.g] + p.r;
    dst[i] = row < first[p.g + 1] ? rounded(src[row * C + p.c]) : __float2bfloat16_rn(0.0f);
  }
}

__global__ void from_padded_kernel(float* dst, const float* src, const GroupOffsets offsets, int64_t n, int64_t R,
                                   int64_t C, bool accumulate) {
  const int64_t* first = offsets.first;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += stride) {
    const PaddedIndex p = padded_index(i, R, C);
    const int64_t row = first[p.g] + p.r;
    if (row >= first[p.g + 1]) continue;
    float* to = dst + row * C + p.c;
    *to = accumulate ? *to + src[i] : src[i];
  }
}

unsigned blocks_for(int64_t work) {
  return unsigned(std::clamp<int64_t>((work + kThreads - 1) / kThreads, 1, kMaxBlocks));
}

}  // namespace

void to_bf16(__nv_bfloat16* dst, const float* src, int64_t n) {
  if (n <= 0) return;
  const bool aligned = reinterpret_cast<uintptr_t>(src) % 16 == 0 && reinterpret_cast<uintptr_t>(dst) % 8 == 0;
  if (aligned) {
    to_bf16_vec4_kernel<<<blocks_for(std::max<int64_t>(n / 4, 4)), kThreads>>>(dst, src, n);
  } else {
    to_bf16_kernel<<<blocks_for(n), kThreads>>>(dst, src, n);
  }
  MOELAW_CUDA_LAUNCHED();
}

void to_bf16_padded(__nv_bfloat16* dst, const float* src, const GroupOffsets& offsets, int64_t groups, int64_t R,
                    int64_t C) {
  const int64_t n = groups * R * C;
  if (n <= 0) return;
  to_bf16_padded_kernel<<<blocks_for(n), kThreads>>>(dst, src, offsets, n, R, C);
  MOELAW_CUDA_LAUNCHED();
}

void to_bf16_padded(__nv_bfloat16* dst, const __nv_bfloat16* src, const GroupOffsets& offsets, int64_t groups,
                    int64_t R, int64_t C) {
  const int64_t n = groups * R * C;
  if (n <= 0) return;
  to_bf16_padded_kernel<<<blocks_for(n), kThreads>>>(dst, src, offsets, n, R, C);
  MOELAW_CUDA_LAUNCHED();
}

void from_padded(float* dst, const float* src, const GroupOffsets& offsets, int64_t groups, int64_t R, int64_t C,
                 bool accumulate) {
  const int64_t n = groups * R * C;
  if (n <= 0) return;
  from_padded_kernel<<<blocks_for(n), kThreads>>>(dst, src, offsets, n, R, C, accumulate);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
