#include "bf16_matmul.hpp"

#include <cuda_runtime.h>

#include "check.hpp"
#include "kernels.hpp"

namespace moelaw::cuda {

Bf16Matmul::~Bf16Matmul() {
  for (auto* p : scratch_)
    if (p) cudaFree(p);
}

const __nv_bfloat16* Bf16Matmul::converted(const float* x, size_t count, Slot slot) {
  if (count > scratch_count_[slot]) {
    if (scratch_[slot]) MOELAW_CUDA_CHECK(cudaFree(scratch_[slot]));
    scratch_[slot] = nullptr;
    scratch_count_[slot] = 0;
    MOELAW_CUDA_CHECK(cudaMalloc(&scratch_[slot], count * sizeof(__nv_bfloat16)));
    scratch_count_[slot] = count;
  }
  kernels::to_bf16(scratch_[slot], x, int64_t(count));
  return scratch_[slot];
}

const __nv_bfloat16* Bf16Matmul::weight_operand(const float* w, size_t count) {
  if (const __nv_bfloat16* copy = weights_.lookup(w, count)) return copy;
  return converted(w, count, kWeight);
}

// Row-major buffers seen by column-major cuBLASLt, as in cuda_backend.cu's fp32 products: a
// row-major [r,c] buffer is the column-major [c,r] matrix with leading dimension c.

// out[N,OC] = in[N,C]·w[OC,C]ᵀ  ⇔  outᵀ[OC,N] = op_T(wᵀ[C,OC])·inᵀ[C,N]
void Bf16Matmul::forward(float* out, const float* in, const float* w, int64_t N, int64_t C, int64_t OC) {
  if (N == 0 || OC == 0) return;
  const __nv_bfloat16* w16 = weight_operand(w, size_t(OC * C));
  const __nv_bfloat16* in16 = converted(in, size_t(N * C), kInput);
  lt_.gemm(CUBLAS_OP_T, CUBLAS_OP_N, OC, N, C, w16, C, in16, C, 0.0f, out, OC);
}

void Bf16Matmul::backward(float* din, float* dw, const float* dout, const float* in, const float* w, int64_t N,
                          int64_t C, int64_t OC) {
  if ((!din && !dw) || C == 0) return;
  const __nv_bfloat16* dout16 = converted(dout, size_t(N * OC), kOutputGrad);  // shared by both gradients
  // dinᵀ[C,N] += wᵀ[C,OC]·doutᵀ[OC,N]
  if (din) lt_.gemm(CUBLAS_OP_N, CUBLAS_OP_N, C, N, OC, weight_operand(w, size_t(OC * C)), C, dout16, OC, 1.0f, din, C);
  // dwᵀ[C,OC] += inᵀ[C,N]·op_T(doutᵀ[OC,N])
  if (dw) lt_.gemm(CUBLAS_OP_N, CUBLAS_OP_T, C, OC, N, converted(in, size_t(N * C), kInput), C, dout16, OC, 1.0f, dw, C);
}

}  // namespace moelaw::cuda
