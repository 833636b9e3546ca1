#pragma once
// Launchers of the CUDA backend's kernels, one per operation of the op contract (backend/ops.hpp),
// with its shapes and its rules (forward overwrites, backward accumulates). fp32, except where a
// launcher writes or reads the bf16 activations of the bf16 backend (overloads on __nv_bfloat16).
// All run on the default stream.
#include <cuda_bf16.h>

#include <cstdint>

#include "backend/ops.hpp"

namespace moelaw::cuda::kernels {

void add(float* out, const float* a, const float* b, int64_t n);
void scale(float* x, int64_t n, double s);
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);
void swiglu_forward(__nv_bfloat16* out, const float* gate, const float* up, int64_t n);  // rounded once
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n);
void rope(float* out, const float* in, int64_t B, int64_t T, int64_t H, int64_t D, double theta, double sign,
          bool accumulate);
// params_bf16, when not null, receives the updated parameters rounded to bf16 in the same pass (the
// bf16 backend's weight copy stays current without a separate conversion).
void adamw(float* params, const float* grads, float* m, float* v, int64_t n, const backend::AdamWHyper& h,
           __nv_bfloat16* params_bf16 = nullptr);

void rmsnorm_forward(float* out, float* rstd, const float* in, const float* gain, int64_t N, int64_t C, double eps);
// The same with the output rounded to bf16 once (what to_bf16 of the fp32 output would give).
void rmsnorm_forward(__nv_bfloat16* out, float* rstd, const float* in, const float* gain, int64_t N, int64_t C,
                     double eps);
void rmsnorm_backward(float* din, float* dgain, const float* dout, const float* in, const float* gain,
                      const float* rstd, int64_t N, int64_t C);
// dgain[c] += Σ_n dout·in·rstd (RMSNorm's gain gradient; deterministic two-stage reduction).
void rmsnorm_backward_gain(float* dgain, const float* dout, const float* in, const float* rstd, int64_t N,
                           int64_t C);

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C);
void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C);

void cross_entropy_forward(float* losses, float* logits_to_probs, const int32_t* targets, int64_t N, int64_t V);
void cross_entropy_backward(float* probs_to_dlogits, const int32_t* targets, double scale, int64_t N, int64_t V);

// Causal softmax of each [T,T] score block in place, rows scaled first (entries above the
// diagonal become 0); and its backward: dscores = scale·P⊙(dP − rowsum(dP⊙P)), in place on dP.
void causal_softmax(float* scores_to_probs, int64_t blocks, int64_t T, float scale);
void causal_softmax_backward(float* dprobs_to_dscores, const float* probs, int64_t blocks, int64_t T, float scale);

// dst[i] = bf16(src[i]), round to nearest even (cuda/kernels_bf16.cu).
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

// Σ f(x) in double, deterministic (fixed blocks, partial sums added in order on the host).
double sum(const float* x, int64_t n);
double sum_squares(const float* x, int64_t n);

}  // namespace moelaw::cuda::kernels
