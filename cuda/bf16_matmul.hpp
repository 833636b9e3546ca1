#pragma once
// The seam's matrix products in bf16 mixed precision: operands rounded to bf16, products summed
// in fp32 on the tensor cores (cuBLASLt), results and gradients in fp32 (backward accumulates
// with beta = 1 into the fp32 gradient buffers, the seam's += contract).
//
// Weights come from the bf16 copy of the registered parameter buffer when they lie in it, and
// are converted into scratch otherwise. The input activations `in` are taken as they are when the
// producer already wrote them in bf16 (the backend's activation type: RMSNorm and SwiGLU outputs)
// and converted into scratch when fp32 (attention outputs, the MoE layer's permuted rows). Output
// gradients (dout) are fp32 and converted on every call.
#include <cuda_bf16.h>

#include <cstddef>
#include <cstdint>

#include "backend/device_memory.hpp"
#include "backend/tensor.hpp"
#include "bf16_weight_copy.hpp"
#include "kernels.hpp"
#include "lt_matmul.hpp"

namespace moelaw::cuda {

class Bf16Matmul {
 public:
  Bf16Matmul() = default;
  Bf16Matmul(const Bf16Matmul&) = delete;
  Bf16Matmul& operator=(const Bf16Matmul&) = delete;

  // Shapes and contract of Backend::matmul_forward / matmul_backward (backend/ops.hpp).
  void forward(float* out, backend::In in, const float* w, int64_t N, int64_t C, int64_t OC);
  void backward(float* din, float* dw, const float* dout, backend::In in, const float* w, int64_t N, int64_t C,
                int64_t OC);

  // Shapes and contract of Backend::grouped_matmul_forward / grouped_matmul_backward. The
  // activations (in, dout) and, when not in the registered copy, the groups' weights are converted
  // once for all groups; the products then run group by group through cuBLASLt (see
  // grouped_forward in bf16_matmul.cu for why not one grouped cuBLAS call).
  void grouped_forward(float* out, backend::In in, const float* w, const int64_t* rows, int64_t groups, int64_t C,
                       int64_t OC, int64_t w_stride);
  void grouped_backward(float* din, float* dw, const float* dout, backend::In in, const float* w,
                        const int64_t* rows, int64_t groups, int64_t C, int64_t OC, int64_t w_stride);

  Bf16WeightCopy& weights() { return weights_; }

  // How grouped products run: one cuBLASLt product per group (default), or all groups as one
  // strided-batched product over a padded layout (each group's rows copied to a block of as many
  // rows as the largest group has, rounded up to 16, zero past its own; results copied back).
  // Issue 9 asks which is faster; bench/gpu_moe_step measures both. Padded falls back to per
  // group where it does not fit: over kernels::kMaxPaddedGroups groups, overlapping weights, or
  // padding that would more than double the rows (a routing collapse onto a few experts).
  void set_padded_groups(bool padded) { padded_groups_ = padded; }

 private:
  enum Slot { kWeight, kInput, kOutputGrad, kSlots };
  const __nv_bfloat16* weight_operand(const float* w, size_t count);
  const __nv_bfloat16* converted(const float* x, size_t count, Slot slot);
  // x itself when it is bf16, else x converted into the slot's scratch.
  const __nv_bfloat16* operand(backend::In x, size_t count, Slot slot);
  // x's groups in the padded layout, from fp32 or bf16 rows.
  __nv_bfloat16* padded_operand(backend::In x, const kernels::GroupOffsets& first, int64_t groups, int64_t R, int64_t C, Slot slot);
  __nv_bfloat16* scratch(Slot slot, size_t count);
  float* result_scratch(size_t count);
  // The rows of the padded layout per group, or 0 where the padded products do not fit.
  static int64_t padded_rows(const int64_t* rows, int64_t groups, int64_t C, int64_t OC, int64_t w_stride);
  void padded_forward(float* out, backend::In in, const float* w, const int64_t* rows, int64_t groups, int64_t C,
                      int64_t OC, int64_t w_stride);
  void padded_backward(float* din, float* dw, const float* dout, backend::In in, const float* w, const int64_t* rows,
                       int64_t groups, int64_t C, int64_t OC, int64_t w_stride);

  LtMatmul lt_;
  Bf16WeightCopy weights_;
  // Conversion scratch, one buffer per operand role, grown on demand and kept. All work is on the
  // default stream, so a buffer is reused only after the product that read it.
  backend::DeviceArray<__nv_bfloat16> scratch_[kSlots];
  backend::DeviceArray<float> result_;  // padded fp32 results of the batched products
  bool padded_groups_ = false;
};

}  // namespace moelaw::cuda
