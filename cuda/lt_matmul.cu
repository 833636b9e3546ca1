#include "lt_matmul.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <utility>

#include "check.hpp"

namespace moelaw::cuda {

namespace {

// The alignment cuBLASLt's algorithms require of a matrix covers its pointer and its leading
// dimension in bytes (cublasLt.h, CUBLASLT_ALGO_CAP_MIN_ALIGNMENT_*): the largest power of two
// dividing both, capped at 16 bytes: what Hopper's fastest (TMA) kernels need. Claiming less than
// the truth only excludes algorithms, and the cap keeps the plan cache from holding one plan per
// alignment of every MoE group's first row.
uint32_t alignment_bytes(const void* p, int64_t ld, size_t element_bytes) {
  const uint64_t bits = uint64_t(reinterpret_cast<uintptr_t>(p)) | (uint64_t(ld) * element_bytes);
  const uint64_t lowest = bits & (~bits + 1);  // lowest set bit (ld ≥ 1, so bits ≠ 0)
  return uint32_t(std::min<uint64_t>(lowest, 16));
}

template <typename V>
void set_preference(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attr, V value) {
  MOELAW_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attr, &value, sizeof(value)));
}

}  // namespace

struct LtMatmul::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;  // d describes C too (in place: C is D)
  cublasLtMatmulAlgo_t algo{};
  size_t workspace_bytes = 0;
  bool use_fallback = false;
  ~Plan() {
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

size_t LtMatmul::KeyHash::operator()(const Key& key) const {
  size_t h = 0;
  auto mix = [&h](uint64_t v) { h ^= std::hash<uint64_t>{}(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
  for (uint64_t v : {uint64_t(key.op_a), uint64_t(key.op_b), uint64_t(key.m), uint64_t(key.n), uint64_t(key.k),
                     uint64_t(key.lda), uint64_t(key.ldb), uint64_t(key.ldd), uint64_t(key.accumulate),
                     uint64_t(key.align_a), uint64_t(key.align_b), uint64_t(key.align_d), uint64_t(key.batch),
                     uint64_t(key.stride_a), uint64_t(key.stride_b), uint64_t(key.stride_d)})
    mix(v);
  return h;
}

LtMatmul::LtMatmul() : plans_(kPlanCapacity) {
  MOELAW_CUBLAS_CHECK(cublasLtCreate(&lt_));
  try {  // the destructor does not run when the constructor throws
    MOELAW_CUBLAS_CHECK(cublasCreate(&fallback_));
    MOELAW_CUDA_CHECK(cudaMalloc(&workspace_, kWorkspaceBytes));
  } catch (...) {
    if (fallback_) cublasDestroy(fallback_);
    cublasLtDestroy(lt_);
    throw;
  }
}

LtMatmul::~LtMatmul() {
  plans_.clear();
  if (workspace_) cudaFree(workspace_);
  if (fallback_) cublasDestroy(fallback_);
  if (lt_) cublasLtDestroy(lt_);
}

LtMatmul::Plan& LtMatmul::plan_for(const Key& key) {
  if (auto* found = plans_.find(key)) return **found;
  auto plan = std::make_unique<Plan>();
  const auto op_a = cublasOperation_t(key.op_a), op_b = cublasOperation_t(key.op_b);
  MOELAW_CUBLAS_CHECK(cublasLtMatmulDescCreate(&plan->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const int32_t trans_a = key.op_a, trans_b = key.op_b;  // the attributes are int32_t
  MOELAW_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof(trans_a)));
  MOELAW_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof(trans_b)));
  // Layouts describe the matrices as stored, before op(): A is m×k, or k×m when transposed.
  const bool ta = op_a != CUBLAS_OP_N, tb = op_b != CUBLAS_OP_N;
  MOELAW_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->a, CUDA_R_16BF, uint64_t(ta ? key.k : key.m),
                                                 uint64_t(ta ? key.m : key.k), key.lda));
  MOELAW_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->b, CUDA_R_16BF, uint64_t(tb ? key.n : key.k),
                                                 uint64_t(tb ? key.k : key.n), key.ldb));
  MOELAW_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->d, CUDA_R_32F, uint64_t(key.m), uint64_t(key.n), key.ldd));
  if (key.batch > 1) {  // the attributes' types: int32_t count, int64_t offset (cublasLt.h)
    const int32_t count = int32_t(key.batch);
    const std::pair<cublasLtMatrixLayout_t, int64_t> strided[] = {
        {plan->a, key.stride_a}, {plan->b, key.stride_b}, {plan->d, key.stride_d}};
    for (const auto& [layout, stride] : strided) {
      MOELAW_CUBLAS_CHECK(
          cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
      MOELAW_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                                           &stride, sizeof(stride)));
    }
  }

  cublasLtMatmulPreference_t pref = nullptr;
  MOELAW_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
  try {
    set_preference<uint64_t>(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, kWorkspaceBytes);
    set_preference<uint32_t>(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, key.align_a);
    set_preference<uint32_t>(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, key.align_b);
    set_preference<uint32_t>(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, key.align_d);
    set_preference<uint32_t>(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, key.align_d);
    status = cublasLtMatmulAlgoGetHeuristic(lt_, plan->desc, plan->a, plan->b, plan->d, plan->d, pref, 1, &result,
                                            &found);
  } catch (...) {
    cublasLtMatmulPreferenceDestroy(pref);
    throw;
  }
  MOELAW_CUBLAS_CHECK(cublasLtMatmulPreferenceDestroy(pref));
  // NOT_SUPPORTED (or no result) means no algorithm fits these shapes and alignments: such calls go
  // to cublasGemmEx with the same types, which handles any shape. Any other failure is an error.
  if (status != CUBLAS_STATUS_NOT_SUPPORTED) MOELAW_CUBLAS_CHECK(status);
  if (status == CUBLAS_STATUS_SUCCESS && found > 0 && result.state == CUBLAS_STATUS_SUCCESS) {
    plan->algo = result.algo;
    plan->workspace_bytes = result.workspaceSize;
  } else {
    plan->use_fallback = true;
    std::fprintf(stderr,
                 "lt_matmul: no cuBLASLt algorithm for m=%ld n=%ld k=%ld ld=%ld/%ld/%ld alignment=%u/%u/%u bytes "
                 "batch=%ld; using cublasGemm(StridedBatched)Ex\n",
                 long(key.m), long(key.n), long(key.k), long(key.lda), long(key.ldb), long(key.ldd), key.align_a,
                 key.align_b, key.align_d, long(key.batch));
  }
  // An evicted plan's descriptors go now: cuBLASLt reads them when a product is launched, not
  // while it runs.
  return *plans_.insert(key, std::move(plan));
}

void LtMatmul::gemm_batched(cublasOperation_t op_a, cublasOperation_t op_b, int64_t m, int64_t n, int64_t k,
                            const __nv_bfloat16* a, int64_t lda, int64_t stride_a, const __nv_bfloat16* b,
                            int64_t ldb, int64_t stride_b, float beta, float* d, int64_t ldd, int64_t stride_d,
                            int64_t batch) {
  if (beta != 0.0f && beta != 1.0f) throw std::invalid_argument("LtMatmul::gemm: beta must be 0 or 1");
  if (m == 0 || n == 0 || batch == 0) return;
  if (k == 0) {  // an empty sum: overwrite with zeros, or leave the accumulator as it is
    if (beta == 0.0f)
      for (int64_t i = 0; i < batch; ++i)
        MOELAW_CUDA_CHECK(cudaMemset2D(d + i * stride_d, size_t(ldd) * sizeof(float), 0, size_t(m) * sizeof(float),
                                       size_t(n)));
    return;
  }
  if (batch == 1) stride_a = stride_b = stride_d = 0;  // one product: the strides mean nothing
  // A batch's alignment is its least aligned matrix's: the strides count as well as the base.
  auto align = [](const void* p, int64_t ld, int64_t stride, size_t bytes) {
    return std::min(alignment_bytes(p, ld, bytes), stride ? alignment_bytes(nullptr, stride, bytes) : 16u);
  };
  const Key key{int32_t(op_a), int32_t(op_b), m, n, k, lda, ldb, ldd, beta != 0.0f,
                align(a, lda, stride_a, sizeof(__nv_bfloat16)), align(b, ldb, stride_b, sizeof(__nv_bfloat16)),
                align(d, ldd, stride_d, sizeof(float)), batch, stride_a, stride_b, stride_d};
  Plan& plan = plan_for(key);
  const float alpha = 1.0f;
  if (plan.use_fallback) {
    if (batch == 1)
      MOELAW_CUBLAS_CHECK(cublasGemmEx(fallback_, op_a, op_b, int(m), int(n), int(k), &alpha, a, CUDA_R_16BF,
                                       int(lda), b, CUDA_R_16BF, int(ldb), &beta, d, CUDA_R_32F, int(ldd),
                                       CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    else
      MOELAW_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
          fallback_, op_a, op_b, int(m), int(n), int(k), &alpha, a, CUDA_R_16BF, int(lda), stride_a, b, CUDA_R_16BF,
          int(ldb), stride_b, &beta, d, CUDA_R_32F, int(ldd), stride_d, int(batch), CUBLAS_COMPUTE_32F,
          CUBLAS_GEMM_DEFAULT));
    return;
  }
  MOELAW_CUBLAS_CHECK(cublasLtMatmul(lt_, plan.desc, &alpha, a, plan.a, b, plan.b, &beta, d, plan.d, d, plan.d,
                                     &plan.algo, workspace_, kWorkspaceBytes, /*stream=*/0));
}

}  // namespace moelaw::cuda
