#pragma once
// Building blocks of the flash-attention kernels: the bf16 tensor-core product
// mma.sync.m16n8k16 (fp32 accumulate) and shared-memory tiles in the layouts it reads.
//
// Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating point type"),
// with g = lane / 4 and t = lane % 4; each 32-bit register holds two bf16, the lower column (or
// k) index in the low half:
//   A (16x16, row-major): reg0 = A[g][2t..2t+1],   reg1 = A[g+8][2t..2t+1],
//                         reg2 = A[g][2t+8..2t+9], reg3 = A[g+8][2t+8..2t+9]
//   B (16x8, k x n):      reg0 = B[2t..2t+1][g],   reg1 = B[2t+8..2t+9][g]
//   C (16x8, fp32):       c0, c1 = C[g][2t..2t+1], c2, c3 = C[g+8][2t..2t+1]
// So an A operand is read as pairs along k from a row-major [m][k] tile, and a B operand as
// pairs along k from an [n][k] tile (B transposed): every operand below is kept in shared memory
// with k contiguous, transposing while loading where the product needs it. Rows are padded by 8
// bf16 (16 bytes) so that the 8 rows g of a fragment read fall in distinct banks.
// The C fragments of two adjacent n-tiles are exactly the A fragment of one k-step (same rows,
// columns 0..7 and 8..15), which lets P and dS feed the next product straight from registers.
#include <cuda_bf16.h>

#include <cstdint>
#include <initializer_list>

namespace moelaw::cuda::flash {

constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;
constexpr int kPad = 8;  // bf16 of padding per shared-memory row

using bf16 = __nv_bfloat16;

// c[16x8] += a[16x16]·b[16x8] for the whole warp.
// bf16 mma needs sm_80 or later (the project builds for sm_90).
__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();
#else
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);  // .x (low half) = lo
  return *reinterpret_cast<uint32_t*>(&v);
}

// Two adjacent bf16 of a shared-memory tile (col even, so 4-byte aligned).
__device__ __forceinline__ uint32_t pair_at(const bf16* tile, int stride, int row, int col) {
  return *reinterpret_cast<const uint32_t*>(tile + row * stride + col);
}

// A fragment of the 16x16 block at (row0, k0) of a row-major [m][k] tile.
__device__ __forceinline__ void load_a(uint32_t (&a)[4], const bf16* tile, int stride, int row0, int k0) {
  const int g = (threadIdx.x % 32) / 4, t = threadIdx.x % 4;
  a[0] = pair_at(tile, stride, row0 + g, k0 + 2 * t);
  a[1] = pair_at(tile, stride, row0 + g + 8, k0 + 2 * t);
  a[2] = pair_at(tile, stride, row0 + g, k0 + 2 * t + 8);
  a[3] = pair_at(tile, stride, row0 + g + 8, k0 + 2 * t + 8);
}

// B fragment of the 16x8 block at (k0, n0) of B, read from its transpose: an [n][k] tile.
__device__ __forceinline__ void load_b(uint32_t (&b)[2], const bf16* tile_nk, int stride, int n0, int k0) {
  const int g = (threadIdx.x % 32) / 4, t = threadIdx.x % 4;
  b[0] = pair_at(tile_nk, stride, n0 + g, k0 + 2 * t);
  b[1] = pair_at(tile_nk, stride, n0 + g, k0 + 2 * t + 8);
}

// The A fragment of k-step kk from fp32 accumulators acc[n-tile][4] (n-tiles 2kk and 2kk+1),
// rounded to bf16.
template <int N>
__device__ __forceinline__ void accumulators_as_a(uint32_t (&a)[4], const float (&acc)[N][4], int kk) {
  a[0] = pack_bf16(acc[2 * kk][0], acc[2 * kk][1]);
  a[1] = pack_bf16(acc[2 * kk][2], acc[2 * kk][3]);
  a[2] = pack_bf16(acc[2 * kk + 1][0], acc[2 * kk + 1][1]);
  a[3] = pack_bf16(acc[2 * kk + 1][2], acc[2 * kk + 1][3]);
}

// acc[n] += A·Bₙ for this warp's 16 rows: A is rows [row0, row0 + 16) of the row-major [m][K]
// tile `a`, Bₙ is read from rows [8n, 8n + 8) of the [n][K] tile `b` (B's transpose); K = 16·KSTEPS.
template <int N, int KSTEPS>
__device__ __forceinline__ void mma_shared(float (&acc)[N][4], const bf16* a, int a_stride, int row0, const bf16* b,
                                           int b_stride) {
#pragma unroll
  for (int kk = 0; kk < KSTEPS; ++kk) {
    uint32_t af[4];
    load_a(af, a, a_stride, row0, kk * 16);
#pragma unroll
    for (int n = 0; n < N; ++n) {
      uint32_t bf[2];
      load_b(bf, b, b_stride, n * 8, kk * 16);
      mma_bf16(acc[n], af, bf);
    }
  }
}

// acc[n] += P·Bₙ where P is this warp's accumulators p[M][4] (16 rows × 8M columns) rounded to
// bf16, the reduction running over P's columns; Bₙ as in mma_shared.
template <int N, int M>
__device__ __forceinline__ void mma_accumulators(float (&acc)[N][4], const float (&p)[M][4], const bf16* b,
                                                 int b_stride) {
#pragma unroll
  for (int kk = 0; kk < M / 2; ++kk) {
    uint32_t af[4];
    accumulators_as_a(af, p, kk);
#pragma unroll
    for (int n = 0; n < N; ++n) {
      uint32_t bf[2];
      load_b(bf, b, b_stride, n * 8, kk * 16);
      mma_bf16(acc[n], af, bf);
    }
  }
}

// Rows [row0, row0 + ROWS) of a fp32 [T][D] slice (row stride `ld` floats, 16-byte aligned) into
// shared memory as bf16: row-major into `rows` (stride D + kPad) and, where `cols` is given,
// transposed into `cols` ([D][ROWS + kPad]). Rows at or past T read as zeros.
// Without a transposed copy, consecutive threads take consecutive float4 of a row (coalesced
// reads, conflict-free 8-byte stores). With one, they take consecutive rows of a column group, so
// that the 2-byte transposed stores of a warp land in consecutive addresses; walking a row
// instead would put them 16 ways into the same banks.
template <int ROWS, int D>
__device__ __forceinline__ void load_tile(bf16* rows, bf16* cols, const float* src, int64_t ld, int row0, int T) {
  constexpr int kVecs = D / 4;  // float4 per row
  const bool rows_first = cols != nullptr;
  for (int i = threadIdx.x; i < ROWS * kVecs; i += kThreads) {
    const int r = rows_first ? i % ROWS : i / kVecs;
    const int c = rows_first ? (i / ROWS) * 4 : (i % kVecs) * 4;
    float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
    if (row0 + r < T) x = *reinterpret_cast<const float4*>(src + int64_t(row0 + r) * ld + c);
    if (rows) {
      auto* d = reinterpret_cast<__nv_bfloat162*>(rows + r * (D + kPad) + c);
      d[0] = __floats2bfloat162_rn(x.x, x.y);
      d[1] = __floats2bfloat162_rn(x.z, x.w);
    }
    if (cols) {
      constexpr int kColStride = ROWS + kPad;
      cols[(c + 0) * kColStride + r] = __float2bfloat16_rn(x.x);
      cols[(c + 1) * kColStride + r] = __float2bfloat16_rn(x.y);
      cols[(c + 2) * kColStride + r] = __float2bfloat16_rn(x.z);
      cols[(c + 3) * kColStride + r] = __float2bfloat16_rn(x.w);
    }
  }
}

// Sum and max over the 4 lanes (t = 0..3) that share a fragment row.
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

// Host side, shared by forward and backward: a supported head size, a shape within the grid's
// limits and 16-byte aligned buffers, or std::invalid_argument.
void check_arguments(int64_t B, int64_t T, int64_t H, int64_t D, std::initializer_list<const void*> pointers);

}  // namespace moelaw::cuda::flash
