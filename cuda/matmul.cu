// The seam's matrix products in fp32 on cuBLAS (the bf16 backend's are bf16_matmul.cu). Row-major
// matrices seen by column-major cuBLAS: a row-major [r,c] buffer is the column-major [c,r] matrix,
// its transpose. Every product below is written in those terms.
#include "check.hpp"
#include "kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

void gemm(cublasHandle_t blas, cublasOperation_t ta, cublasOperation_t tb, int64_t m, int64_t n, int64_t k,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const float one = 1.0f;
  MOELAW_CUBLAS_CHECK(cublasSgemm(blas, ta, tb, int(m), int(n), int(k), &one, a, int(lda), b, int(ldb), &beta, c,
                                  int(ldc)));
}

}  // namespace

// out[N,OC] = in[N,C]·w[OC,C]ᵀ  ⇔  outᵀ[OC,N] = w·inᵀ (column-major: op(wᵀ)=T, inᵀ as is).
void matmul_forward(cublasHandle_t blas, float* out, const float* in, const float* w, int64_t N, int64_t C,
                    int64_t OC) {
  gemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, OC, N, C, w, C, in, C, 0.0f, out, OC);
}

void matmul_backward(cublasHandle_t blas, float* din, float* dw, const float* dout, const float* in, const float* w,
                     int64_t N, int64_t C, int64_t OC) {
  // dinᵀ[C,N] += wᵀ[C,OC]·doutᵀ[OC,N]
  if (din) gemm(blas, CUBLAS_OP_N, CUBLAS_OP_N, C, N, OC, w, C, dout, OC, 1.0f, din, C);
  // dwᵀ[C,OC] += inᵀ[C,N]·dout[N,OC]
  if (dw) gemm(blas, CUBLAS_OP_N, CUBLAS_OP_T, C, OC, N, in, C, dout, OC, 1.0f, dw, C);
}

}  // namespace moelaw::cuda::kernels
