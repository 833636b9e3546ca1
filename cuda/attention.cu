// Causal attention as batched cuBLAS products around a causal-softmax kernel, the probabilities
// [B,H,T,T] its saved state (the fp32 path; the bf16 backend's flash attention is
// flash_attention_*.cu). Row-major buffers seen by column-major cuBLAS, as in matmul.cu.
#include <cmath>

#include "block_reduce.cuh"
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

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

// Causal softmax of each [T,T] score block in place, rows scaled first (entries above the
// diagonal become 0); and its backward: dscores = scale·P⊙(dP − rowsum(dP⊙P)), in place on dP.
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

void batched(cublasHandle_t blas, cublasOperation_t ta, cublasOperation_t tb, int64_t m, int64_t n, int64_t k,
             const float* a, int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta,
             float* c, int64_t ldc, int64_t stride_c, int64_t count) {
  const float one = 1.0f;
  MOELAW_CUBLAS_CHECK(cublasSgemmStridedBatched(blas, ta, tb, int(m), int(n), int(k), &one, a, int(lda), stride_a, b,
                                                int(ldb), stride_b, &beta, c, int(ldc), stride_c, int(count)));
}

}  // namespace

void attention_forward(cublasHandle_t blas, float* out, float* probs, const float* q, const float* k, const float* v,
                       int64_t B, int64_t T, int64_t H, int64_t D) {
  // Per sequence b, batched over heads h (q, k, v of head h start h·D floats apart, rows H·D
  // apart; score blocks T·T apart).
  const int64_t C = H * D;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t x = b * T * C, p = b * H * T * T;
    // scoresᵀ per head: [Tk,Tq] = K·Qᵀ  (K, Q row-major [T,D] with row stride C)
    batched(blas, CUBLAS_OP_T, CUBLAS_OP_N, T, T, D, k + x, C, D, q + x, C, D, 0.0f, probs + p, T, T * T, H);
  }
  causal_softmax(probs, B * H, T, float(1.0 / std::sqrt(double(D))));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t x = b * T * C, p = b * H * T * T;
    // outᵀ[D,Tq] = Vᵀ[D,Tk]·Pᵀ[Tk,Tq]
    batched(blas, CUBLAS_OP_N, CUBLAS_OP_N, D, T, T, v + x, C, D, probs + p, T, T * T, 0.0f, out + x, C, D, H);
  }
}

void attention_backward(cublasHandle_t blas, float* dq, float* dk, float* dv, const float* dout, const float* probs,
                        const float* q, const float* k, const float* v, float* ds, int64_t B, int64_t T, int64_t H,
                        int64_t D) {
  const int64_t C = H * D;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t x = b * T * C, p = b * H * T * T;
    // dPᵀ[Tk,Tq] = V·doutᵀ
    batched(blas, CUBLAS_OP_T, CUBLAS_OP_N, T, T, D, v + x, C, D, dout + x, C, D, 0.0f, ds + p, T, T * T, H);
    // dVᵀ[D,Tk] += doutᵀ[D,Tq]·P[Tq,Tk]
    batched(blas, CUBLAS_OP_N, CUBLAS_OP_T, D, T, T, dout + x, C, D, probs + p, T, T * T, 1.0f, dv + x, C, D, H);
  }
  causal_softmax_backward(ds, probs, B * H, T, float(1.0 / std::sqrt(double(D))));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t x = b * T * C, p = b * H * T * T;
    // dQᵀ[D,Tq] += Kᵀ[D,Tk]·dSᵀ[Tk,Tq]
    batched(blas, CUBLAS_OP_N, CUBLAS_OP_N, D, T, T, k + x, C, D, ds + p, T, T * T, 1.0f, dq + x, C, D, H);
    // dKᵀ[D,Tk] += Qᵀ[D,Tq]·dS[Tq,Tk]
    batched(blas, CUBLAS_OP_N, CUBLAS_OP_T, D, T, T, q + x, C, D, ds + p, T, T * T, 1.0f, dk + x, C, D, H);
  }
}

}  // namespace moelaw::cuda::kernels
