#pragma once
// The seam's matrix products in bf16 mixed precision: operands rounded to bf16, products summed
// in fp32 on the tensor cores (cuBLASLt), results and gradients in fp32 (backward accumulates
// with beta = 1 into the fp32 gradient buffers, the seam's += contract).
//
// Weights come from the bf16 copy of the registered parameter buffer when they lie in it, and
// are converted into scratch otherwise. Activations (in, dout) are converted into scratch on
// every call: the seam's buffers are float, so the fp32 activations the other operations write
// are the only ones there are. A seam with bf16 activations (written in bf16 by the operation
// producing them) would save that conversion pass (a read of 4 and a write of 2 bytes per value,
// and the scratch) and halve the activation memory and its traffic in the other operations.
#include <cuda_bf16.h>

#include <cstddef>
#include <cstdint>

#include "bf16_weight_copy.hpp"
#include "device_scratch.hpp"
#include "lt_matmul.hpp"

namespace moelaw::cuda {

class Bf16Matmul {
 public:
  Bf16Matmul() = default;
  Bf16Matmul(const Bf16Matmul&) = delete;
  Bf16Matmul& operator=(const Bf16Matmul&) = delete;

  // Shapes and contract of backend::cpu::matmul_forward / matmul_backward.
  void forward(float* out, const float* in, const float* w, int64_t N, int64_t C, int64_t OC);
  void backward(float* din, float* dw, const float* dout, const float* in, const float* w, int64_t N, int64_t C,
                int64_t OC);

  // Shapes and contract of Backend::grouped_matmul_forward / grouped_matmul_backward. The
  // activations (in, dout) and, when not in the registered copy, the groups' weights are converted
  // once for all groups; the products then run group by group through cuBLASLt (see
  // grouped_forward in bf16_matmul.cu for why not one grouped cuBLAS call).
  void grouped_forward(float* out, const float* in, const float* w, const int64_t* rows, int64_t groups, int64_t C,
                       int64_t OC, int64_t w_stride);
  void grouped_backward(float* din, float* dw, const float* dout, const float* in, const float* w,
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
  __nv_bfloat16* scratch(Slot slot, size_t count);
  float* result_scratch(size_t count);
  // The rows of the padded layout per group, or 0 where the padded products do not fit.
  static int64_t padded_rows(const int64_t* rows, int64_t groups, int64_t C, int64_t OC, int64_t w_stride);
  void padded_forward(float* out, const float* in, const float* w, const int64_t* rows, int64_t groups, int64_t C,
                      int64_t OC, int64_t w_stride);
  void padded_backward(float* din, float* dw, const float* dout, const float* in, const float* w, const int64_t* rows,
                       int64_t groups, int64_t C, int64_t OC, int64_t w_stride);

  LtMatmul lt_;
  Bf16WeightCopy weights_;
  // Conversion scratch, one buffer per operand role, grown on demand and kept. All work is on the
  // default stream, so a buffer is reused only after the product that read it.
  DeviceScratch scratch_[kSlots];
  DeviceScratch result_;  // padded fp32 results of the batched products
  bool padded_groups_ = false;
};

}  // namespace moelaw::cuda
