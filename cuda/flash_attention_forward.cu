// Flash-attention forward. One thread block per (query tile of 64 rows, head, sequence); each of
// its 4 warps owns 16 query rows and walks the key/value tiles of 64 up to the diagonal:
// S = Q·Kᵀ on tensor cores, an online softmax in fp32 (running max m and sum l per row, in the
// log2 domain so exp2f does the work), P rounded to bf16 and O += P·V with O in fp32 registers.
// Shared memory: Q [64][D+8], K [64][D+8] and Vᵀ [D][64+8] in bf16 (27 KB for D=64, 53 KB for
// D=128). Vᵀ because P·V's B operand needs pairs along the key index.
#include <cmath>
#include <stdexcept>
#include <string>

#include "check.hpp"
#include "flash_attention.hpp"
#include "flash_tiles.cuh"

namespace moelaw::cuda::flash {

namespace {

constexpr int kRows = 64;  // query rows per block and keys per tile
constexpr float kLn2 = 0.69314718055994531f;

template <int D>
constexpr size_t forward_smem_bytes() {
  return sizeof(bf16) * (2 * kRows * (D + kPad) + D * (kRows + kPad));
}

template <int D>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(float* out, float* lse, const float* q, const float* k, const float* v, int T, int H,
                   float scale_log2) {
  constexpr int kS = D + kPad, kSt = kRows + kPad, kKeyTiles = kRows / 8, kDimTiles = D / 8;
  extern __shared__ __align__(16) unsigned char smem[];
  bf16* sq = reinterpret_cast<bf16*>(smem);
  bf16* sk = sq + kRows * kS;
  bf16* svt = sk + kRows * kS;

  const int tile = gridDim.x - 1 - blockIdx.x;  // the longest (latest) query tiles start first
  const int h = blockIdx.y, b = blockIdx.z;
  const int64_t C = int64_t(H) * D, base = int64_t(b) * T * C + int64_t(h) * D;
  const int warp = threadIdx.x / 32, g = (threadIdx.x % 32) / 4, t = threadIdx.x % 4;
  const int q0 = tile * kRows;
  const int row[2] = {q0 + warp * 16 + g, q0 + warp * 16 + g + 8};  // this thread's two rows

  load_tile<kRows, D>(sq, nullptr, q + base, C, q0, T);

  float o[kDimTiles][4] = {};
  float m[2] = {-INFINITY, -INFINITY};  // running max of scaled scores (log2 units)
  float l[2] = {0.f, 0.f};              // this thread's part of the running sum of exp2(s − m)

  for (int j = 0; j <= tile; ++j) {  // key tiles up to the diagonal (tiles are square)
    const int k0 = j * kRows;
    __syncthreads();  // every warp is done with the previous K and Vᵀ (and Q is in place)
    load_tile<kRows, D>(sk, nullptr, k + base, C, k0, T);
    load_tile<kRows, D>(nullptr, svt, v + base, C, k0, T);
    __syncthreads();

    float s[kKeyTiles][4] = {};
    mma_shared<kKeyTiles, D / 16>(s, sq, kS, warp * 16, sk, kS);

    // Causal and end-of-sequence mask, scale into log2 units, new row maxima.
    float mx[2] = {m[0], m[1]};
#pragma unroll
    for (int n = 0; n < kKeyTiles; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = k0 + n * 8 + 2 * t + (e & 1);
        const float x = (key <= row[e / 2] && key < T) ? s[n][e] * scale_log2 : -INFINITY;
        s[n][e] = x;
        mx[e / 2] = fmaxf(mx[e / 2], x);
      }
    float shift[2], alpha[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      mx[r] = quad_max(mx[r]);
      shift[r] = mx[r] == -INFINITY ? 0.f : mx[r];  // a row with nothing unmasked yet stays at zero
      alpha[r] = exp2f(m[r] - shift[r]);            // rescales what was summed under the old max
      m[r] = mx[r];
      l[r] *= alpha[r];
    }
#pragma unroll
    for (int n = 0; n < kKeyTiles; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float p = exp2f(s[n][e] - shift[e / 2]);
        s[n][e] = p;
        l[e / 2] += p;
      }
#pragma unroll
    for (int n = 0; n < kDimTiles; ++n) {
      o[n][0] *= alpha[0];
      o[n][1] *= alpha[0];
      o[n][2] *= alpha[1];
      o[n][3] *= alpha[1];
    }

    // O += P·V: P (bf16) straight from the score accumulators, V from Vᵀ.
    mma_accumulators(o, s, svt, kSt);
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float sum = quad_sum(l[r]);  // ≥ 1 for a real row: its maximum contributes exp2(0)
    if (row[r] >= T) continue;
    const float inv = 1.f / sum;
    float* dst = out + base + int64_t(row[r]) * C;
#pragma unroll
    for (int n = 0; n < kDimTiles; ++n)
      *reinterpret_cast<float2*>(dst + n * 8 + 2 * t) = make_float2(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
    if (t == 0) lse[(int64_t(b) * H + h) * T + row[r]] = (m[r] + log2f(sum)) * kLn2;
  }
}

template <int D>
void launch_forward(float* out, float* lse, const float* q, const float* k, const float* v, int64_t B, int64_t T,
                    int64_t H, cudaStream_t stream) {
  const size_t smem = forward_smem_bytes<D>();
  MOELAW_CUDA_CHECK(cudaFuncSetAttribute(forward_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  const dim3 grid(unsigned((T + kRows - 1) / kRows), unsigned(H), unsigned(B));
  const float scale_log2 = float(1.0 / std::sqrt(double(D)) / std::log(2.0));
  forward_kernel<D><<<grid, kThreads, smem, stream>>>(out, lse, q, k, v, int(T), int(H), scale_log2);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace

void check_arguments(int64_t B, int64_t T, int64_t H, int64_t D, std::initializer_list<const void*> pointers) {
  if (!supports(D)) throw std::invalid_argument("flash attention: no kernel for head_dim " + std::to_string(D));
  if (B > 65535 || H > 65535 || T > (int64_t(1) << 30))
    throw std::invalid_argument("flash attention: shape beyond the grid's limits");
  for (const void* p : pointers)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0)
      throw std::invalid_argument("flash attention: buffers must be 16-byte aligned");
}

void forward(float* out, float* lse, const float* q, const float* k, const float* v, int64_t B, int64_t T,
             int64_t H, int64_t D, cudaStream_t stream) {
  check_arguments(B, T, H, D, {out, q, k, v});
  if (B == 0 || T == 0 || H == 0) return;
  if (D == 64)
    launch_forward<64>(out, lse, q, k, v, B, T, H, stream);
  else
    launch_forward<128>(out, lse, q, k, v, B, T, H, stream);
}

}  // namespace moelaw::cuda::flash
