#pragma once
// bf16 matrix products on cuBLASLt: D = op(A)·op(B) + beta·D with A, B in bf16, D in fp32,
// CUBLAS_COMPUTE_32F and fp32 scales, column-major as in BLAS. Owns the cuBLASLt handle, a 32 MiB
// workspace and one plan (descriptors + the heuristic's algorithm) per distinct call, the
// kPlanCapacity most recently used ones: an MoE run's grouped products have a new row count per
// expert and step, so a cache without bound would grow for the whole run.
//
// Odd shapes: cuBLASLt's algorithms need each matrix's pointer and leading dimension (in bytes)
// aligned, and the heuristic assumes 256-byte alignment unless told otherwise. Each call tells it
// the actual alignment (CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_*_BYTES, down to 2 bytes for a bf16
// leading dimension like 33), so it only offers algorithms that accept it: no padding or copies.
// Should it offer none, that call runs on cublasGemmEx with the same types (bf16 operands, fp32
// output and compute), which takes any shape; a line on stderr says so once per plan.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/lru_cache.hpp"

namespace moelaw::cuda {

class LtMatmul {
 public:
  LtMatmul();
  ~LtMatmul();
  LtMatmul(const LtMatmul&) = delete;
  LtMatmul& operator=(const LtMatmul&) = delete;

  // m×n result D (leading dimension ldd) from op(A) m×k and op(B) k×n; beta is 0 (overwrite) or 1
  // (accumulate, the seam's backward contract). Runs on the default stream.
  void gemm(cublasOperation_t op_a, cublasOperation_t op_b, int64_t m, int64_t n, int64_t k,
            const __nv_bfloat16* a, int64_t lda, const __nv_bfloat16* b, int64_t ldb, float beta, float* d,
            int64_t ldd) {
    gemm_batched(op_a, op_b, m, n, k, a, lda, 0, b, ldb, 0, beta, d, ldd, 0, 1);
  }
  // `batch` such products in one call, the i-th on a + i·stride_a, b + i·stride_b, d + i·stride_d
  // (strides in elements; cuBLASLt's strided batch).
  void gemm_batched(cublasOperation_t op_a, cublasOperation_t op_b, int64_t m, int64_t n, int64_t k,
                    const __nv_bfloat16* a, int64_t lda, int64_t stride_a, const __nv_bfloat16* b, int64_t ldb,
                    int64_t stride_b, float beta, float* d, int64_t ldd, int64_t stride_d, int64_t batch);

  static constexpr size_t kWorkspaceBytes = size_t(32) << 20;
  // Plans kept (each a few descriptors of host memory): a dense model needs a few dozen; more
  // only makes an MoE run's shapes of many steps ago stay.
  static constexpr size_t kPlanCapacity = 1024;
  size_t plans_held() const { return plans_.size(); }
  size_t plans_evicted() const { return plans_.evictions(); }

 private:
  // Everything the heuristic's choice depends on. Alignments (bytes, of pointer and leading
  // dimension together, at most 16) are part of it: an algorithm chosen for aligned operands may
  // not run on less aligned ones.
  struct Key {
    int32_t op_a, op_b;
    int64_t m, n, k, lda, ldb, ldd;
    bool accumulate;
    uint32_t align_a, align_b, align_d;
    int64_t batch, stride_a, stride_b, stride_d;
    bool operator==(const Key& o) const {
      return op_a == o.op_a && op_b == o.op_b && m == o.m && n == o.n && k == o.k && lda == o.lda &&
             ldb == o.ldb && ldd == o.ldd && accumulate == o.accumulate && align_a == o.align_a &&
             align_b == o.align_b && align_d == o.align_d && batch == o.batch && stride_a == o.stride_a &&
             stride_b == o.stride_b && stride_d == o.stride_d;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };
  struct Plan;

  Plan& plan_for(const Key& key);

  cublasLtHandle_t lt_ = nullptr;
  cublasHandle_t fallback_ = nullptr;  // cublasGemmEx, for a call the heuristic has no algorithm for
  void* workspace_ = nullptr;
  LruCache<Key, std::unique_ptr<Plan>, KeyHash> plans_;  // kPlanCapacity (set where Plan is complete)
};

}  // namespace moelaw::cuda
