#pragma once
// Causal flash attention on bf16 tensor cores (FlashAttention-2 style), the bf16 backend's
// attention. q, k, v, out and their gradients are the seam's fp32 [B,T,H,D] buffers (row stride
// C = H·D); tiles are rounded to bf16 as they are loaded into shared memory, products accumulate
// in fp32 and the softmax runs in fp32. The saved state is one log-sum-exp per row, lse[B,H,T]
// (natural log, scores scaled by 1/sqrt(D)), instead of the [B,H,T,T] probabilities.
// Pointers must be 16-byte aligned (float4 loads); every call is asynchronous on `stream`.
#include <cuda_runtime.h>

#include <cstdint>

namespace moelaw::cuda::flash {

// Head sizes with a compiled kernel.
inline bool supports(int64_t head_dim) { return head_dim == 64 || head_dim == 128; }

// out = softmax(q·kᵀ/sqrt(D), causal)·v; lse[b,h,t] = log Σ_s exp(score_ts).
void forward(float* out, float* lse, const float* q, const float* k, const float* v, int64_t B, int64_t T,
             int64_t H, int64_t D, cudaStream_t stream = nullptr);

// dq, dk, dv += the gradients (the seam's contract), given the forward's out and lse.
// `delta_scratch` holds B·H·T floats (rowsum(dout∘out)). Deterministic: no atomics, so two runs
// give bit-identical gradients.
void backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
              const float* q, const float* k, const float* v, float* delta_scratch, int64_t B, int64_t T,
              int64_t H, int64_t D, cudaStream_t stream = nullptr);

}  // namespace moelaw::cuda::flash
