#pragma once
// Launchers of the CUDA backend's kernels, one per operation of the op contract (backend/ops.hpp),
// with its shapes and its rules (forward overwrites, backward accumulates; integers bit for bit
// the CPU's). fp32, except where a launcher writes or reads the bf16 activations of the bf16
// backend (overloads on __nv_bfloat16). Each op's forward and backward live in the file named
// after it (cuda/<op>.cu); all run on the default stream.
#include <cublas_v2.h>
#include <cuda_bf16.h>

#include <cstddef>
#include <cstdint>

#include "backend/ops.hpp"

namespace moelaw::cuda::kernels {

// matmul.cu: fp32 products on cuBLAS (the bf16 ones: bf16_matmul.hpp).
void matmul_forward(cublasHandle_t blas, float* out, const float* in, const float* w, int64_t N, int64_t C,
                    int64_t OC);
void matmul_backward(cublasHandle_t blas, float* din, float* dw, const float* dout, const float* in, const float* w,
                     int64_t N, int64_t C, int64_t OC);

// attention.cu: causal attention as batched cuBLAS products around a causal softmax; `probs`
// [B,H,T,T] is the saved state, `dscores_scratch` holds as many floats (the flash kernels of the
// bf16 backend: flash_attention.hpp).
void attention_forward(cublasHandle_t blas, float* out, float* probs, const float* q, const float* k, const float* v,
                       int64_t B, int64_t T, int64_t H, int64_t D);
void attention_backward(cublasHandle_t blas, float* dq, float* dk, float* dv, const float* dout, const float* probs,
                        const float* q, const float* k, const float* v, float* dscores_scratch, int64_t B, int64_t T,
                        int64_t H, int64_t D);

// add.cu, scale.cu
void add(float* out, const float* a, const float* b, int64_t n);
void scale(float* x, int64_t n, double s);

// swiglu.cu
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);
void swiglu_forward(__nv_bfloat16* out, const float* gate, const float* up, int64_t n);  // rounded once
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n);

// rope.cu: the forward is sign +1 without accumulate, the backward sign −1 with it.
void rope(float* out, const float* in, int64_t B, int64_t T, int64_t H, int64_t D, double theta, double sign,
          bool accumulate);

// adamw.cu. params_bf16, when not null, receives the updated parameters rounded to bf16 in the
// same pass (the bf16 backend's weight copy stays current without a separate conversion).
void adamw(float* params, const float* grads, float* m, float* v, int64_t n, const backend::AdamWHyper& h,
           __nv_bfloat16* params_bf16 = nullptr);

// rmsnorm.cu
void rmsnorm_forward(float* out, float* rstd, const float* in, const float* gain, int64_t N, int64_t C, double eps);
// The same with the output rounded to bf16 once (what to_bf16 of the fp32 output would give).
void rmsnorm_forward(__nv_bfloat16* out, float* rstd, const float* in, const float* gain, int64_t N, int64_t C,
                     double eps);
void rmsnorm_backward(float* din, float* dgain, const float* dout, const float* in, const float* gain,
                      const float* rstd, int64_t N, int64_t C);
// dgain[c] += Σ_n dout·in·rstd (RMSNorm's gain gradient; deterministic two-stage reduction).
void rmsnorm_backward_gain(float* dgain, const float* dout, const float* in, const float* rstd, int64_t N,
                           int64_t C);

// embedding.cu
void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C);
void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C);

// cross_entropy.cu
void cross_entropy_forward(float* losses, float* logits_to_probs, const int32_t* targets, int64_t N, int64_t V);
void cross_entropy_backward(float* probs_to_dlogits, const int32_t* targets, double scale, int64_t N, int64_t V);

// reductions.cu: Σ f(x) in double, deterministic (fixed blocks, partial sums added in order on the host).
double sum(const float* x, int64_t n);
double sum_squares(const float* x, int64_t n);

// moe_route.cu. Integers of scratch moe_route needs for N tokens, k choices, E experts.
size_t moe_route_workspace(int64_t N, int64_t E, int64_t k);
void moe_route(float* logits_to_probs, float* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
               int32_t* workspace, int64_t N, int64_t E, int64_t k, int64_t capacity);
void moe_route_backward(float* dlogits, const float* dprobs, const float* probs, const float* lse,
                        const int64_t* load, int64_t N, int64_t E, int64_t k, double aux_scale, double z_scale);

// moe_permute.cu
void moe_permute(float* send, int32_t* position, const float* x, const int32_t* expert, const int32_t* slot,
                 const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d);
// gather_scatter_rows.cu
void gather_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width);
void scatter_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width);
// moe_combine.cu
void moe_combine(float* out, const float* rows, const float* probs, const int32_t* expert, const int32_t* position,
                 int64_t N, int64_t E, int64_t k, int64_t d, bool accumulate);
void moe_combine_backward(float* drows, float* dprobs, const float* dout, const float* rows, const float* probs,
                          const int32_t* expert, const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d);

// bf16_convert.cu: the bf16 matrix products' operands. dst[i] = bf16(src[i]), round to nearest even.
void to_bf16(__nv_bfloat16* dst, const float* src, int64_t n);
// Groups of rows between the packed layout (group g: rows first[g] .. first[g+1]−1 of a [·, C]
// buffer, one group after the other) and a padded one ([groups, R, C], group g's rows at g·R,
// R ≥ every group's rows). The offsets travel as a kernel argument (no copy to the device, no
// synchronisation), hence at most kMaxPaddedGroups groups.
constexpr int64_t kMaxPaddedGroups = 256;
struct GroupOffsets {
  int64_t first[kMaxPaddedGroups + 1];
};
// to_bf16_padded: packed fp32 → padded bf16, zero past each group's rows.
void to_bf16_padded(__nv_bfloat16* dst, const float* src, const GroupOffsets& offsets, int64_t groups, int64_t R,
                    int64_t C);
// The same from bf16 rows (activations the producer already wrote in bf16): a copy.
void to_bf16_padded(__nv_bfloat16* dst, const __nv_bfloat16* src, const GroupOffsets& offsets, int64_t groups,
                    int64_t R, int64_t C);
// from_padded: padded fp32 → packed fp32, each group's rows only; dst = or += src.
void from_padded(float* dst, const float* src, const GroupOffsets& offsets, int64_t groups, int64_t R, int64_t C,
                 bool accumulate);

}  // namespace moelaw::cuda::kernels
