#include "cuda_backend.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>

#include "bf16_matmul.hpp"
#include "check.hpp"
#include "device_scratch.hpp"
#include "flash_attention.hpp"
#include "kernels.hpp"

namespace moelaw::cuda {

namespace {

// The adapter: each operation of the seam calls its kernels (cuda/<op>.cu, declared in
// kernels.hpp), in fp32 or, for matrix products and attention, in bf16 (bf16_matmul.hpp,
// flash_attention.hpp).
class CudaBackend final : public backend::Backend<float> {
 public:
  CudaBackend(int device, backend::Precision precision) : device_(device), precision_(precision) {
    MOELAW_CUDA_CHECK(cudaSetDevice(device));
    MOELAW_CUBLAS_CHECK(cublasCreate(&blas_));
    // Plain fp32 products: the op-level comparison with the CPU reference depends on it.
    MOELAW_CUBLAS_CHECK(cublasSetMathMode(blas_, CUBLAS_PEDANTIC_MATH));
    if (precision_ == backend::Precision::bf16) bf16_ = std::make_unique<Bf16Matmul>();
  }
  // bf16 only: the experts' grouped products as one strided-batched product over a padded layout.
  bool set_padded_groups(bool padded) {
    if (!bf16_) return false;
    bf16_->set_padded_groups(padded);
    return true;
  }
  ~CudaBackend() override { cublasDestroy(blas_); }

  std::string name() const override { return precision_ == backend::Precision::bf16 ? "cuda-bf16" : "cuda"; }

  void* allocate_bytes(size_t bytes) override {
    if (bytes == 0) return nullptr;
    void* p = nullptr;
    MOELAW_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
  }
  void free_bytes(void* p) override {
    if (bf16_) bf16_->weights().freed(p);
    cudaFree(p);
  }
  void copy_to_device(void* dst, const void* src, size_t bytes) override {
    if (bf16_) bf16_->weights().written(dst, bytes);
    if (bytes) MOELAW_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    if (bytes) MOELAW_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  }
  void zero_bytes(void* p, size_t bytes) override {
    if (bf16_) bf16_->weights().written(p, bytes);
    if (bytes) MOELAW_CUDA_CHECK(cudaMemset(p, 0, bytes));
  }

  void register_weights(const float* base, size_t n) override {
    if (bf16_) bf16_->weights().register_range(base, n);
  }

  void matmul_forward(float* out, const float* in, const float* w, int64_t N, int64_t C, int64_t OC) override {
    if (bf16_) return bf16_->forward(out, in, w, N, C, OC);
    kernels::matmul_forward(blas_, out, in, w, N, C, OC);
  }
  void matmul_backward(float* din, float* dw, const float* dout, const float* in, const float* w, int64_t N,
                       int64_t C, int64_t OC) override {
    if (bf16_) return bf16_->backward(din, dw, dout, in, w, N, C, OC);
    kernels::matmul_backward(blas_, din, dw, dout, in, w, N, C, OC);
  }
  // fp32 keeps the per-group loop (cuBLAS products checked exactly against the CPU's); bf16 converts
  // the activations once and runs the groups on cuBLASLt (bf16_matmul.hpp).
  void grouped_matmul_forward(float* out, const float* in, const float* w, const int64_t* rows, int64_t groups,
                              int64_t C, int64_t OC, int64_t w_stride) override {
    if (bf16_) return bf16_->grouped_forward(out, in, w, rows, groups, C, OC, w_stride);
    Backend::grouped_matmul_forward(out, in, w, rows, groups, C, OC, w_stride);
  }
  void grouped_matmul_backward(float* din, float* dw, const float* dout, const float* in, const float* w,
                               const int64_t* rows, int64_t groups, int64_t C, int64_t OC,
                               int64_t w_stride) override {
    if (bf16_) return bf16_->grouped_backward(din, dw, dout, in, w, rows, groups, C, OC, w_stride);
    Backend::grouped_matmul_backward(din, dw, dout, in, w, rows, groups, C, OC, w_stride);
  }
  void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C) override {
    kernels::embedding_forward(out, tokens, table, N, C);
  }
  void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C) override {
    kernels::embedding_backward(dtable, dout, tokens, N, C);
  }
  void rmsnorm_forward(float* out, float* rstd, const float* in, const float* gain, int64_t N, int64_t C,
                       double eps) override {
    kernels::rmsnorm_forward(out, rstd, in, gain, N, C, eps);
  }
  void rmsnorm_backward(float* din, float* dgain, const float* dout, const float* in, const float* gain,
                        const float* rstd, int64_t N, int64_t C) override {
    kernels::rmsnorm_backward(din, dgain, dout, in, gain, rstd, N, C);
  }
  void rope_forward(float* out, const float* in, int64_t B, int64_t T, int64_t H, int64_t D, double theta) override {
    kernels::rope(out, in, B, T, H, D, theta, +1.0, false);
  }
  void rope_backward(float* din, const float* dout, int64_t B, int64_t T, int64_t H, int64_t D,
                     double theta) override {
    kernels::rope(din, dout, B, T, H, D, theta, -1.0, true);
  }

  // bf16 with a flash kernel for the head size: flash attention, the state one log-sum-exp per row.
  // Otherwise the cuBLAS path of attention.cu, the state the probabilities.
  bool use_flash(int64_t D) const { return precision_ == backend::Precision::bf16 && flash::supports(D); }
  int64_t attention_state_size(int64_t B, int64_t T, int64_t H, int64_t D) const override {
    return use_flash(D) ? B * H * T : B * H * T * T;
  }
  void attention_forward(float* out, float* probs, const float* q, const float* k, const float* v, int64_t B,
                         int64_t T, int64_t H, int64_t D) override {
    if (use_flash(D)) return flash::forward(out, probs, q, k, v, B, T, H, D);
    kernels::attention_forward(blas_, out, probs, q, k, v, B, T, H, D);
  }
  void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* probs,
                          const float* q, const float* k, const float* v, int64_t B, int64_t T, int64_t H,
                          int64_t D) override {
    if (use_flash(D)) {
      float* delta = attention_scratch_.get<float>(size_t(B * H * T));
      return flash::backward(dq, dk, dv, dout, out, probs, q, k, v, delta, B, T, H, D);
    }
    float* dscores = attention_scratch_.get<float>(size_t(B * H * T * T));
    kernels::attention_backward(blas_, dq, dk, dv, dout, probs, q, k, v, dscores, B, T, H, D);
  }
  void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t F) override {
    kernels::swiglu_forward(out, gate, up, N * F);
  }
  void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t N,
                       int64_t F) override {
    kernels::swiglu_backward(dgate, dup, dout, gate, up, N * F);
  }
  void add_forward(float* out, const float* a, const float* b, int64_t n) override { kernels::add(out, a, b, n); }
  void cross_entropy_forward(float* losses, float* logits_to_probs, const int32_t* targets, int64_t N,
                             int64_t V) override {
    kernels::cross_entropy_forward(losses, logits_to_probs, targets, N, V);
  }
  void cross_entropy_backward(float* probs_to_dlogits, const int32_t* targets, double scale, int64_t N,
                              int64_t V) override {
    kernels::cross_entropy_backward(probs_to_dlogits, targets, scale, N, V);
  }
  void adamw_update(float* params, const float* grads, float* m, float* v, int64_t n,
                    const backend::AdamWHyper& h) override {
    // bf16: the weight copy's slot for this tensor is written in the same kernel.
    kernels::adamw(params, grads, m, v, n, h, bf16_ ? bf16_->weights().update_target(params, size_t(n)) : nullptr);
  }
  double sum_squares(const float* x, int64_t n) override { return kernels::sum_squares(x, n); }
  double sum(const float* x, int64_t n) override { return kernels::sum(x, n); }
  void scale(float* x, int64_t n, double s) override { kernels::scale(x, n, s); }

  void moe_route(float* logits_to_probs, float* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
                 int64_t N, int64_t E, int64_t k, int64_t capacity) override {
    int32_t* workspace = moe_workspace_.get<int32_t>(kernels::moe_route_workspace(N, E, k));
    kernels::moe_route(logits_to_probs, lse, expert, slot, counts, sums, workspace, N, E, k, capacity);
  }
  void moe_route_backward(float* dlogits, const float* dprobs, const float* probs, const float* lse,
                          const int64_t* load, int64_t N, int64_t E, int64_t k, double aux_scale,
                          double z_scale) override {
    kernels::moe_route_backward(dlogits, dprobs, probs, lse, load, N, E, k, aux_scale, z_scale);
  }
  void moe_permute(float* send, int32_t* position, const float* x, const int32_t* expert, const int32_t* slot,
                   const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d) override {
    kernels::moe_permute(send, position, x, expert, slot, kept, N, E, k, d);
  }
  void gather_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width) override {
    kernels::gather_rows(out, in, index, rows, width);
  }
  void scatter_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width) override {
    kernels::scatter_rows(out, in, index, rows, width);
  }
  void moe_combine(float* out, const float* rows, const float* probs, const int32_t* expert, const int32_t* position,
                   int64_t N, int64_t E, int64_t k, int64_t d, bool accumulate) override {
    kernels::moe_combine(out, rows, probs, expert, position, N, E, k, d, accumulate);
  }
  void moe_combine_backward(float* drows, float* dprobs, const float* dout, const float* rows, const float* probs,
                            const int32_t* expert, const int32_t* position, int64_t N, int64_t E, int64_t k,
                            int64_t d) override {
    kernels::moe_combine_backward(drows, dprobs, dout, rows, probs, expert, position, N, E, k, d);
  }
  void synchronize() override { MOELAW_CUDA_CHECK(cudaDeviceSynchronize()); }

 private:
  int device_;
  backend::Precision precision_;
  cublasHandle_t blas_ = nullptr;
  DeviceScratch attention_scratch_;  // attention's dP/dS buffer (flash: Δ)
  DeviceScratch moe_workspace_;      // the router's per-chunk expert counts
  std::unique_ptr<Bf16Matmul> bf16_;  // bf16 precision: matrix products on cuBLASLt
};

}  // namespace

std::unique_ptr<backend::Backend<float>> make_cuda_backend(int device, backend::Precision precision) {
  return std::make_unique<CudaBackend>(device, precision);
}

void set_padded_expert_products(backend::Backend<float>& backend, bool padded) {
  auto* cuda = dynamic_cast<CudaBackend*>(&backend);
  if (!cuda || !cuda->set_padded_groups(padded))
    throw std::invalid_argument("padded expert products: only the CUDA backend in bf16 has them");
}

}  // namespace moelaw::cuda
