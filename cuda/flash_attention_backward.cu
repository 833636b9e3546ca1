// Flash-attention backward (FlashAttention-2 style), in three deterministic kernels:
//   delta:  Δ[b,h,t] = rowsum(dO∘O), one warp per row.
//   dk/dv:  one block per (key tile of 64, head, sequence), 4 warps of 16 keys, walking the query
//           tiles of 32 from the diagonal to the end: Pᵀ = exp(Sᵀ·scale − LSE) with Sᵀ = K·Qᵀ,
//           dPᵀ = V·dOᵀ, dSᵀ = Pᵀ∘(dPᵀ − Δ), then dV += Pᵀ·dO and dK += scale·dSᵀ·Q with Pᵀ and
//           dSᵀ fed from registers. Query tiles of 32 keep dK and dV (2·D/8·4 fp32) plus Sᵀ and
//           dPᵀ within the register file for D = 128.
//   dq:     one block per (query tile of 64, head, sequence), 4 warps of 16 queries, walking the
//           key tiles of 64 up to the diagonal: P and dS recomputed as above, dQ += scale·dS·K.
// Every gradient element is owned by exactly one thread of one block, which adds its total once:
// no atomics, so runs are bit-for-bit reproducible. Shared memory (bf16, rows padded by 8):
//   dk/dv: K, V [64][D+8], Q, dO [32][D+8], Qᵀ, dOᵀ [D][40] + LSE, Δ  (37 KB D=64, 73 KB D=128)
//   dq:    Q, dO, K, V [64][D+8], Kᵀ [D][72]                          (46 KB D=64, 88 KB D=128)
#include <cmath>

#include "check.hpp"
#include "flash_attention.hpp"
#include "flash_tiles.cuh"

namespace moelaw::cuda::flash {

namespace {

constexpr int kKeyRows = 64;     // keys per dk/dv block, keys per dq step
constexpr int kQueryRows = 32;   // queries per dk/dv step
constexpr int kDqRows = 64;      // queries per dq block
constexpr float kLog2e = 1.4426950408889634f;

__global__ void delta_kernel(float* delta, const float* dout, const float* out, int64_t rows, int T, int H, int D) {
  const int64_t row = int64_t(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;  // (b·T + t)·H + h
  if (row >= rows) return;
  const int lane = threadIdx.x % 32;
  const float* a = dout + row * D;
  const float* o = out + row * D;
  float s = 0.f;
  for (int i = lane; i < D; i += 32) s += a[i] * o[i];
  for (int off = 16; off > 0; off /= 2) s += __shfl_xor_sync(0xffffffffu, s, off);
  if (lane == 0) {
    const int64_t h = row % H, t = (row / H) % T, b = row / (int64_t(H) * T);
    delta[(b * H + h) * T + t] = s;
  }
}

template <int D>
constexpr size_t dkdv_smem_bytes() {
  return sizeof(bf16) * (2 * kKeyRows * (D + kPad) + 2 * kQueryRows * (D + kPad) + 2 * D * (kQueryRows + kPad)) +
         sizeof(float) * 2 * kQueryRows;
}

template <int D>
__global__ void __launch_bounds__(kThreads)
    dkdv_kernel(float* dk, float* dv, const float* q, const float* k, const float* v, const float* dout,
                const float* lse, const float* delta, int T, int H, float scale, float scale_log2) {
  constexpr int kS = D + kPad, kSt = kQueryRows + kPad, kQTiles = kQueryRows / 8, kDimTiles = D / 8;
  extern __shared__ __align__(16) unsigned char smem[];
  bf16* sk = reinterpret_cast<bf16*>(smem);
  bf16* sv = sk + kKeyRows * kS;
  bf16* sq = sv + kKeyRows * kS;
  bf16* sdo = sq + kQueryRows * kS;
  bf16* sqt = sdo + kQueryRows * kS;
  bf16* sdot = sqt + D * kSt;
  float* slse = reinterpret_cast<float*>(sdot + D * kSt);  // log2 units
  float* sdelta = slse + kQueryRows;

  const int tile = blockIdx.x;  // the early keys see the most queries: block 0 (dispatched first) has key tile 0
  const int h = blockIdx.y, b = blockIdx.z;
  const int64_t C = int64_t(H) * D, base = int64_t(b) * T * C + int64_t(h) * D;
  const float* lse_bh = lse + (int64_t(b) * H + h) * T;
  const float* delta_bh = delta + (int64_t(b) * H + h) * T;
  const int warp = threadIdx.x / 32, g = (threadIdx.x % 32) / 4, t = threadIdx.x % 4;
  const int k0 = tile * kKeyRows;
  const int key[2] = {k0 + warp * 16 + g, k0 + warp * 16 + g + 8};

  load_tile<kKeyRows, D>(sk, nullptr, k + base, C, k0, T);
  load_tile<kKeyRows, D>(sv, nullptr, v + base, C, k0, T);

  float dk_acc[kDimTiles][4] = {}, dv_acc[kDimTiles][4] = {};
  for (int q0 = k0; q0 < T; q0 += kQueryRows) {  // queries before k0 see none of these keys
    __syncthreads();  // the previous query tile is consumed (and K, V are in place)
    load_tile<kQueryRows, D>(sq, sqt, q + base, C, q0, T);
    load_tile<kQueryRows, D>(sdo, sdot, dout + base, C, q0, T);
    for (int i = threadIdx.x; i < kQueryRows; i += kThreads) {
      const bool real = q0 + i < T;
      slse[i] = real ? lse_bh[q0 + i] * kLog2e : 0.f;
      sdelta[i] = real ? delta_bh[q0 + i] : 0.f;
    }
    __syncthreads();

    // Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ for this warp's 16 keys × 32 queries.
    float st[kQTiles][4] = {}, dpt[kQTiles][4] = {};
    mma_shared<kQTiles, D / 16>(st, sk, kS, warp * 16, sq, kS);
    mma_shared<kQTiles, D / 16>(dpt, sv, kS, warp * 16, sdo, kS);
    // Pᵀ and dSᵀ = Pᵀ∘(dPᵀ − Δ); zero where the key is after the query or past the end.
#pragma unroll
    for (int n = 0; n < kQTiles; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int qi = n * 8 + 2 * t + (e & 1), query = q0 + qi;
        const float p = (key[e / 2] <= query && query < T) ? exp2f(st[n][e] * scale_log2 - slse[qi]) : 0.f;
        st[n][e] = p;
        dpt[n][e] = p * (dpt[n][e] - sdelta[qi]);
      }
    // dV += Pᵀ·dO and dK += dSᵀ·Q, the reduction running over this tile's queries.
    mma_accumulators(dv_acc, st, sdot, kSt);
    mma_accumulators(dk_acc, dpt, sqt, kSt);
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (key[r] >= T) continue;
    const int64_t at = base + int64_t(key[r]) * C;
#pragma unroll
    for (int n = 0; n < kDimTiles; ++n) {
      float2* pk = reinterpret_cast<float2*>(dk + at + n * 8 + 2 * t);
      float2* pv = reinterpret_cast<float2*>(dv + at + n * 8 + 2 * t);
      float2 xk = *pk, xv = *pv;
      xk.x += scale * dk_acc[n][2 * r];
      xk.y += scale * dk_acc[n][2 * r + 1];
      xv.x += dv_acc[n][2 * r];
      xv.y += dv_acc[n][2 * r + 1];
      *pk = xk;
      *pv = xv;
    }
  }
}

template <int D>
constexpr size_t dq_smem_bytes() {
  return sizeof(bf16) * (2 * kDqRows * (D + kPad) + 2 * kKeyRows * (D + kPad) + D * (kKeyRows + kPad));
}

template <int D>
__global__ void __launch_bounds__(kThreads)
    dq_kernel(float* dq, const float* q, const float* k, const float* v, const float* dout, const float* lse,
              const float* delta, int T, int H, float scale, float scale_log2) {
  constexpr int kS = D + kPad, kSt = kKeyRows + kPad, kKeyTiles = kKeyRows / 8, kDimTiles = D / 8;
  static_assert(kDqRows == kKeyRows, "the causal loop below assumes square tiles");
  extern __shared__ __align__(16) unsigned char smem[];
  bf16* sq = reinterpret_cast<bf16*>(smem);
  bf16* sdo = sq + kDqRows * kS;
  bf16* sk = sdo + kDqRows * kS;
  bf16* sv = sk + kKeyRows * kS;
  bf16* skt = sv + kKeyRows * kS;

  const int tile = gridDim.x - 1 - blockIdx.x;
  const int h = blockIdx.y, b = blockIdx.z;
  const int64_t C = int64_t(H) * D, base = int64_t(b) * T * C + int64_t(h) * D;
  const float* lse_bh = lse + (int64_t(b) * H + h) * T;
  const float* delta_bh = delta + (int64_t(b) * H + h) * T;
  const int warp = threadIdx.x / 32, g = (threadIdx.x % 32) / 4, t = threadIdx.x % 4;
  const int q0 = tile * kDqRows;
  const int row[2] = {q0 + warp * 16 + g, q0 + warp * 16 + g + 8};
  float lse2[2], dl[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    lse2[r] = row[r] < T ? lse_bh[row[r]] * kLog2e : 0.f;
    dl[r] = row[r] < T ? delta_bh[row[r]] : 0.f;
  }

  load_tile<kDqRows, D>(sq, nullptr, q + base, C, q0, T);
  load_tile<kDqRows, D>(sdo, nullptr, dout + base, C, q0, T);

  float dq_acc[kDimTiles][4] = {};
  for (int j = 0; j <= tile; ++j) {
    const int k0 = j * kKeyRows;
    __syncthreads();
    load_tile<kKeyRows, D>(sk, skt, k + base, C, k0, T);
    load_tile<kKeyRows, D>(sv, nullptr, v + base, C, k0, T);
    __syncthreads();

    // S = Q·Kᵀ and dP = dO·Vᵀ for this warp's 16 queries × 64 keys.
    float s[kKeyTiles][4] = {}, dp[kKeyTiles][4] = {};
    mma_shared<kKeyTiles, D / 16>(s, sq, kS, warp * 16, sk, kS);
    mma_shared<kKeyTiles, D / 16>(dp, sdo, kS, warp * 16, sv, kS);
    // dS = P∘(dP − Δ), kept in s.
#pragma unroll
    for (int n = 0; n < kKeyTiles; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int kj = k0 + n * 8 + 2 * t + (e & 1);
        const float p = (kj <= row[e / 2] && kj < T) ? exp2f(s[n][e] * scale_log2 - lse2[e / 2]) : 0.f;
        s[n][e] = p * (dp[n][e] - dl[e / 2]);
      }
    // dQ += dS·K (K from Kᵀ: pairs along the key index).
    mma_accumulators(dq_acc, s, skt, kSt);
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (row[r] >= T) continue;
    float* dst = dq + base + int64_t(row[r]) * C;
#pragma unroll
    for (int n = 0; n < kDimTiles; ++n) {
      float2* p = reinterpret_cast<float2*>(dst + n * 8 + 2 * t);
      float2 x = *p;
      x.x += scale * dq_acc[n][2 * r];
      x.y += scale * dq_acc[n][2 * r + 1];
      *p = x;
    }
  }
}

template <int D>
void launch_backward(float* dq, float* dk, float* dv, const float* dout, const float* lse, const float* q,
                     const float* k, const float* v, const float* delta, int64_t B, int64_t T, int64_t H,
                     cudaStream_t stream) {
  const float scale = float(1.0 / std::sqrt(double(D)));
  const float scale_log2 = float(1.0 / std::sqrt(double(D)) / std::log(2.0));

  const size_t dkdv_smem = dkdv_smem_bytes<D>();
  MOELAW_CUDA_CHECK(cudaFuncSetAttribute(dkdv_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(dkdv_smem)));
  const dim3 dkdv_grid(unsigned((T + kKeyRows - 1) / kKeyRows), unsigned(H), unsigned(B));
  dkdv_kernel<D><<<dkdv_grid, kThreads, dkdv_smem, stream>>>(dk, dv, q, k, v, dout, lse, delta, int(T), int(H),
                                                             scale, scale_log2);
  MOELAW_CUDA_LAUNCHED();

  const size_t dq_smem = dq_smem_bytes<D>();
  MOELAW_CUDA_CHECK(cudaFuncSetAttribute(dq_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(dq_smem)));
  const dim3 dq_grid(unsigned((T + kDqRows - 1) / kDqRows), unsigned(H), unsigned(B));
  dq_kernel<D><<<dq_grid, kThreads, dq_smem, stream>>>(dq, q, k, v, dout, lse, delta, int(T), int(H), scale,
                                                       scale_log2);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace

void backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
              const float* q, const float* k, const float* v, float* delta_scratch, int64_t B, int64_t T,
              int64_t H, int64_t D, cudaStream_t stream) {
  check_arguments(B, T, H, D, {dq, dk, dv, dout, q, k, v});
  if (B == 0 || T == 0 || H == 0) return;
  const int64_t rows = B * T * H;
  constexpr int kRowsPerBlock = 8;  // one warp per row
  delta_kernel<<<unsigned((rows + kRowsPerBlock - 1) / kRowsPerBlock), 32 * kRowsPerBlock, 0, stream>>>(
      delta_scratch, dout, out, rows, int(T), int(H), int(D));
  MOELAW_CUDA_LAUNCHED();
  if (D == 64)
    launch_backward<64>(dq, dk, dv, dout, lse, q, k, v, delta_scratch, B, T, H, stream);
  else
    launch_backward<128>(dq, dk, dv, dout, lse, q, k, v, delta_scratch, B, T, H, stream);
}

}  // namespace moelaw::cuda::flash
