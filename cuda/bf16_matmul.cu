#include "bf16_matmul.hpp"

#include <cuda_runtime.h>

#include <algorithm>

#include "bf16_view.hpp"
#include "check.hpp"
#include "cuda_memory.hpp"
#include "kernels.hpp"

namespace moelaw::cuda {

__nv_bfloat16* Bf16Matmul::scratch(Slot slot, size_t count) { return scratch_[slot].grow(device_memory(), count); }

float* Bf16Matmul::result_scratch(size_t count) { return result_.grow(device_memory(), count); }

const __nv_bfloat16* Bf16Matmul::converted(const float* x, size_t count, Slot slot) {
  __nv_bfloat16* dst = scratch(slot, count);
  kernels::to_bf16(dst, x, int64_t(count));
  return dst;
}

const __nv_bfloat16* Bf16Matmul::operand(backend::In x, size_t count, Slot slot) {
  if (x.is(backend::DType::bf16)) return bf16_data(x);
  return converted(x.as<float>(), count, slot);
}

__nv_bfloat16* Bf16Matmul::padded_operand(backend::In x, const kernels::GroupOffsets& first, int64_t groups, int64_t R,
                                          int64_t C, Slot slot) {
  __nv_bfloat16* dst = scratch(slot, size_t(groups * R * C));
  if (x.is(backend::DType::bf16))
    kernels::to_bf16_padded(dst, bf16_data(x), first, groups, R, C);
  else
    kernels::to_bf16_padded(dst, x.as<float>(), first, groups, R, C);
  return dst;
}

const __nv_bfloat16* Bf16Matmul::weight_operand(const float* w, size_t count) {
  if (const __nv_bfloat16* copy = weights_.lookup(w, count)) return copy;
  return converted(w, count, kWeight);
}

// Row-major buffers seen by column-major cuBLASLt, as in matmul.cu's fp32 products: a
// row-major [r,c] buffer is the column-major [c,r] matrix with leading dimension c.

// out[N,OC] = in[N,C]·w[OC,C]ᵀ  ⇔  outᵀ[OC,N] = op_T(wᵀ[C,OC])·inᵀ[C,N]
void Bf16Matmul::forward(float* out, backend::In in, const float* w, int64_t N, int64_t C, int64_t OC) {
  if (N == 0 || OC == 0) return;
  const __nv_bfloat16* w16 = weight_operand(w, size_t(OC * C));
  const __nv_bfloat16* in16 = operand(in, size_t(N * C), kInput);
  lt_.gemm(CUBLAS_OP_T, CUBLAS_OP_N, OC, N, C, w16, C, in16, C, 0.0f, out, OC);
}

void Bf16Matmul::backward(float* din, float* dw, const float* dout, backend::In in, const float* w, int64_t N,
                          int64_t C, int64_t OC) {
  if ((!din && !dw) || C == 0) return;
  const __nv_bfloat16* dout16 = converted(dout, size_t(N * OC), kOutputGrad);  // shared by both gradients
  // dinᵀ[C,N] += wᵀ[C,OC]·doutᵀ[OC,N]
  if (din) lt_.gemm(CUBLAS_OP_N, CUBLAS_OP_N, C, N, OC, weight_operand(w, size_t(OC * C)), C, dout16, OC, 1.0f, din, C);
  // dwᵀ[C,OC] += inᵀ[C,N]·op_T(doutᵀ[OC,N])
  if (dw) lt_.gemm(CUBLAS_OP_N, CUBLAS_OP_T, C, OC, N, operand(in, size_t(N * C), kInput), C, dout16, OC, 1.0f, dw, C);
}

// One grouped cuBLAS call per product would need cublasGemmGroupedBatchedEx to take bf16 A/B with
// an fp32 C under CUBLAS_COMPUTE_32F. Its type table (cuBLAS documentation, as we read it; not
// tried on a device) pairs bf16 A/B only with a bf16 C, while the seam's outputs and the gradients
// it accumulates into (beta = 1) are fp32: rounding those through bf16 would lose the += contract's
// precision. cublasGemmBatchedEx takes bf16 in, fp32 out, but one shape per call, and experts' row
// counts rarely agree. So each group is one cuBLASLt product, on operands converted once for the
// whole expert-major buffer (not once per group).
namespace {
int64_t total_rows(const int64_t* rows, int64_t groups) {
  int64_t total = 0;
  for (int64_t g = 0; g < groups; ++g) total += rows[g];
  return total;
}
// The groups' weights as one span: w + g·w_stride for g < groups, each OC·C values.
size_t weight_span(int64_t groups, int64_t C, int64_t OC, int64_t w_stride) {
  return groups == 0 ? 0 : size_t((groups - 1) * w_stride + OC * C);
}
}  // namespace

void Bf16Matmul::grouped_forward(float* out, backend::In in, const float* w, const int64_t* rows, int64_t groups,
                                 int64_t C, int64_t OC, int64_t w_stride) {
  if (padded_groups_ && padded_rows(rows, groups, C, OC, w_stride) > 0)
    return padded_forward(out, in, w, rows, groups, C, OC, w_stride);
  const int64_t N = total_rows(rows, groups);
  if (N == 0 || OC == 0) return;
  const __nv_bfloat16* w16 = weight_operand(w, weight_span(groups, C, OC, w_stride));
  const __nv_bfloat16* in16 = operand(in, size_t(N * C), kInput);
  int64_t row = 0;
  for (int64_t g = 0; g < groups; ++g) {
    if (rows[g] > 0)
      lt_.gemm(CUBLAS_OP_T, CUBLAS_OP_N, OC, rows[g], C, w16 + g * w_stride, C, in16 + row * C, C, 0.0f,
               out + row * OC, OC);
    row += rows[g];
  }
}

void Bf16Matmul::grouped_backward(float* din, float* dw, const float* dout, backend::In in, const float* w,
                                  const int64_t* rows, int64_t groups, int64_t C, int64_t OC, int64_t w_stride) {
  if (padded_groups_ && padded_rows(rows, groups, C, OC, w_stride) > 0)
    return padded_backward(din, dw, dout, in, w, rows, groups, C, OC, w_stride);
  const int64_t N = total_rows(rows, groups);
  if ((!din && !dw) || C == 0 || N == 0) return;
  const __nv_bfloat16* dout16 = converted(dout, size_t(N * OC), kOutputGrad);
  const __nv_bfloat16* w16 = din ? weight_operand(w, weight_span(groups, C, OC, w_stride)) : nullptr;
  const __nv_bfloat16* in16 = dw ? operand(in, size_t(N * C), kInput) : nullptr;
  int64_t row = 0;
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t m = rows[g];
    if (m > 0) {
      if (din)
        lt_.gemm(CUBLAS_OP_N, CUBLAS_OP_N, C, m, OC, w16 + g * w_stride, C, dout16 + row * OC, OC, 1.0f,
                 din + row * C, C);
      if (dw)
        lt_.gemm(CUBLAS_OP_N, CUBLAS_OP_T, C, OC, m, in16 + row * C, C, dout16 + row * OC, OC, 1.0f,
                 dw + g * w_stride, C);
    }
    row += m;
  }
}

namespace {
kernels::GroupOffsets offsets_of(const int64_t* rows, int64_t groups) {
  kernels::GroupOffsets o{};
  for (int64_t g = 0; g < groups; ++g) o.first[g + 1] = o.first[g] + rows[g];
  return o;
}
}  // namespace

int64_t Bf16Matmul::padded_rows(const int64_t* rows, int64_t groups, int64_t C, int64_t OC, int64_t w_stride) {
  if (groups < 1 || groups > kernels::kMaxPaddedGroups || w_stride < OC * C) return 0;
  const int64_t largest = *std::max_element(rows, rows + groups), N = total_rows(rows, groups);
  // Multiples of 16 rows: 16-byte aligned strides for any C, and fewer distinct plans.
  const int64_t R = (largest + 15) / 16 * 16;
  return N > 0 && groups * R <= 2 * N + 16 * groups ? R : 0;
}

// The per-group products above as one strided-batched product each: group g's rows sit at g·R of
// the padded operands, its weights at w + g·w_stride.
void Bf16Matmul::padded_forward(float* out, backend::In in, const float* w, const int64_t* rows, int64_t groups,
                                int64_t C, int64_t OC, int64_t w_stride) {
  const int64_t R = padded_rows(rows, groups, C, OC, w_stride);
  if (OC == 0) return;
  const kernels::GroupOffsets first = offsets_of(rows, groups);
  const __nv_bfloat16* w16 = weight_operand(w, weight_span(groups, C, OC, w_stride));
  const __nv_bfloat16* in16 = padded_operand(in, first, groups, R, C, kInput);
  float* out_padded = result_scratch(size_t(groups * R * OC));
  lt_.gemm_batched(CUBLAS_OP_T, CUBLAS_OP_N, OC, R, C, w16, C, w_stride, in16, C, R * C, 0.0f, out_padded, OC,
                   R * OC, groups);
  kernels::from_padded(out, out_padded, first, groups, R, OC, /*accumulate=*/false);
}

void Bf16Matmul::padded_backward(float* din, float* dw, const float* dout, backend::In in, const float* w,
                                 const int64_t* rows, int64_t groups, int64_t C, int64_t OC, int64_t w_stride) {
  const int64_t R = padded_rows(rows, groups, C, OC, w_stride);
  if ((!din && !dw) || C == 0) return;
  const kernels::GroupOffsets first = offsets_of(rows, groups);
  __nv_bfloat16* dout16 = scratch(kOutputGrad, size_t(groups * R * OC));
  kernels::to_bf16_padded(dout16, dout, first, groups, R, OC);
  if (din) {
    const __nv_bfloat16* w16 = weight_operand(w, weight_span(groups, C, OC, w_stride));
    float* din_padded = result_scratch(size_t(groups * R * C));
    lt_.gemm_batched(CUBLAS_OP_N, CUBLAS_OP_N, C, R, OC, w16, C, w_stride, dout16, OC, R * OC, 0.0f, din_padded, C,
                     R * C, groups);
    kernels::from_padded(din, din_padded, first, groups, R, C, /*accumulate=*/true);
  }
  if (dw) {  // the padding rows are zero in both operands: they add nothing
    const __nv_bfloat16* in16 = padded_operand(in, first, groups, R, C, kInput);
    lt_.gemm_batched(CUBLAS_OP_N, CUBLAS_OP_T, C, OC, R, in16, C, R * C, dout16, OC, R * OC, 1.0f, dw, C, w_stride,
                     groups);
  }
}

}  // namespace moelaw::cuda
