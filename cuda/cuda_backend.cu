#include "cuda_backend.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>

#include "bf16_matmul.hpp"
#include "bf16_view.hpp"
#include "check.hpp"
#include "cuda_memory.hpp"
#include "flash_attention.hpp"
#include "kernels.hpp"

namespace moelaw::cuda {

namespace {

// The adapter: each operation of the op contract (backend/ops.hpp) calls its kernels
// (cuda/<op>.cu, declared in kernels.hpp), in fp32 or, for matrix products and attention, in bf16
// (bf16_matmul.hpp, flash_attention.hpp); the bf16 backend's activations arrive as bf16 views.
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
  backend::BackendKind kind() const override { return backend::BackendKind::cuda; }

  // Plain device memory (cuda_memory.cu); what changes weights also makes their bf16 copy stale.
  void* allocate_bytes(size_t bytes) override { return device_memory().allocate_bytes(bytes); }
  void free_bytes(void* p) override {
    if (bf16_) bf16_->weights().freed(p);
    device_memory().free_bytes(p);
  }
  void copy_to_device(void* dst, const void* src, size_t bytes) override {
    if (bf16_) bf16_->weights().written(dst, bytes);
    device_memory().copy_to_device(dst, src, bytes);
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    device_memory().copy_to_host(dst, src, bytes);
  }
  void zero_bytes(void* p, size_t bytes) override {
    if (bf16_) bf16_->weights().written(p, bytes);
    device_memory().zero_bytes(p, bytes);
  }

  using In = backend::In;
  using Out = backend::Out;
  using Acc = backend::Acc;
  using InOut = backend::InOut;

  void register_weights(const float* base, size_t n) override {
    if (bf16_) bf16_->weights().register_range(base, n);
  }

  // bf16 keeps the activations that feed matrix products in bf16 (RMSNorm and SwiGLU write them,
  // the products read them without a conversion); fp32 keeps everything fp32.
  backend::DType activation_type() const override { return bf16_ ? backend::DType::bf16 : backend::DType::f32; }

  void matmul_forward(Out out, In in, In w, int64_t N, int64_t C, int64_t OC) override {
    if (bf16_) return bf16_->forward(f(out), in, f(w), N, C, OC);
    kernels::matmul_forward(blas_, f(out), f(in), f(w), N, C, OC);
  }
  void matmul_backward(Acc din, Acc dw, In dout, In in, In w, int64_t N, int64_t C, int64_t OC) override {
    if (bf16_) return bf16_->backward(f(din), f(dw), f(dout), in, f(w), N, C, OC);
    kernels::matmul_backward(blas_, f(din), f(dw), f(dout), f(in), f(w), N, C, OC);
  }
  // fp32 keeps the per-group loop (cuBLAS products checked exactly against the CPU's); bf16 converts
  // the fp32 activations once and runs the groups on cuBLASLt (bf16_matmul.hpp).
  void grouped_matmul_forward(Out out, In in, In w, const int64_t* rows, int64_t groups, int64_t C, int64_t OC,
                              int64_t w_stride) override {
    if (bf16_) return bf16_->grouped_forward(f(out), in, f(w), rows, groups, C, OC, w_stride);
    Backend::grouped_matmul_forward(out, in, w, rows, groups, C, OC, w_stride);
  }
  void grouped_matmul_backward(Acc din, Acc dw, In dout, In in, In w, const int64_t* rows, int64_t groups, int64_t C,
                               int64_t OC, int64_t w_stride) override {
    if (bf16_) return bf16_->grouped_backward(f(din), f(dw), f(dout), in, f(w), rows, groups, C, OC, w_stride);
    Backend::grouped_matmul_backward(din, dw, dout, in, w, rows, groups, C, OC, w_stride);
  }
  void embedding_forward(Out out, const int32_t* tokens, In table, int64_t N, int64_t C) override {
    kernels::embedding_forward(f(out), tokens, f(table), N, C);
  }
  void embedding_backward(Acc dtable, In dout, const int32_t* tokens, int64_t N, int64_t C) override {
    kernels::embedding_backward(f(dtable), f(dout), tokens, N, C);
  }
  void rmsnorm_forward(Out out, Out rstd, In in, In gain, int64_t N, int64_t C, double eps) override {
    if (out.is(backend::DType::bf16)) return kernels::rmsnorm_forward(bf16_data(out), f(rstd), f(in), f(gain), N, C, eps);
    kernels::rmsnorm_forward(f(out), f(rstd), f(in), f(gain), N, C, eps);
  }
  void rmsnorm_backward(Acc din, Acc dgain, In dout, In in, In gain, In rstd, int64_t N, int64_t C) override {
    kernels::rmsnorm_backward(f(din), f(dgain), f(dout), f(in), f(gain), f(rstd), N, C);
  }
  void rope_forward(Out out, In in, int64_t B, int64_t T, int64_t H, int64_t D, double theta) override {
    kernels::rope(f(out), f(in), B, T, H, D, theta, +1.0, false);
  }
  void rope_backward(Acc din, In dout, int64_t B, int64_t T, int64_t H, int64_t D, double theta) override {
    kernels::rope(f(din), f(dout), B, T, H, D, theta, -1.0, true);
  }

  // bf16 with a flash kernel for the head size: flash attention, the state one log-sum-exp per row.
  // Otherwise the cuBLAS path of attention.cu, the state the probabilities.
  bool use_flash(int64_t D) const { return precision_ == backend::Precision::bf16 && flash::supports(D); }
  int64_t attention_state_size(int64_t B, int64_t T, int64_t H, int64_t D) const override {
    return use_flash(D) ? B * H * T : B * H * T * T;
  }
  void attention_forward(Out out, Out state, In q, In k, In v, int64_t B, int64_t T, int64_t H, int64_t D) override {
    if (use_flash(D)) return flash::forward(f(out), f(state), f(q), f(k), f(v), B, T, H, D);
    kernels::attention_forward(blas_, f(out), f(state), f(q), f(k), f(v), B, T, H, D);
  }
  void attention_backward(Acc dq, Acc dk, Acc dv, In dout, In out, In state, In q, In k, In v, int64_t B, int64_t T,
                          int64_t H, int64_t D) override {
    if (use_flash(D)) {
      float* delta = attention_scratch_.grow(device_memory(), size_t(B * H * T));
      return flash::backward(f(dq), f(dk), f(dv), f(dout), f(out), f(state), f(q), f(k), f(v), delta, B, T, H, D);
    }
    float* dscores = attention_scratch_.grow(device_memory(), size_t(B * H * T * T));
    kernels::attention_backward(blas_, f(dq), f(dk), f(dv), f(dout), f(state), f(q), f(k), f(v), dscores, B, T, H, D);
  }
  void swiglu_forward(Out out, In gate, In up, int64_t N, int64_t F) override {
    if (out.is(backend::DType::bf16)) return kernels::swiglu_forward(bf16_data(out), f(gate), f(up), N * F);
    kernels::swiglu_forward(f(out), f(gate), f(up), N * F);
  }
  void swiglu_backward(Acc dgate, Acc dup, In dout, In gate, In up, int64_t N, int64_t F) override {
    kernels::swiglu_backward(f(dgate), f(dup), f(dout), f(gate), f(up), N * F);
  }
  void add_forward(Out out, In a, In b, int64_t n) override { kernels::add(f(out), f(a), f(b), n); }
  void cross_entropy_forward(Out losses, InOut logits_to_probs, const int32_t* targets, int64_t N,
                             int64_t V) override {
    kernels::cross_entropy_forward(f(losses), f(logits_to_probs), targets, N, V);
  }
  void cross_entropy_backward(InOut probs_to_dlogits, const int32_t* targets, double scale, int64_t N,
                              int64_t V) override {
    kernels::cross_entropy_backward(f(probs_to_dlogits), targets, scale, N, V);
  }
  void adamw_update(InOut params, In grads, InOut m, InOut v, int64_t n, const backend::AdamWHyper& h) override {
    float* p = f(params);
    // bf16: the weight copy's slot for this tensor is written in the same kernel.
    kernels::adamw(p, f(grads), f(m), f(v), n, h, bf16_ ? bf16_->weights().update_target(p, size_t(n)) : nullptr);
  }
  double sum_squares(In x, int64_t n) override { return kernels::sum_squares(f(x), n); }
  double sum(In x, int64_t n) override { return kernels::sum(f(x), n); }
  void scale(InOut x, int64_t n, double s) override { kernels::scale(f(x), n, s); }

  void moe_route(InOut logits_to_probs, Out lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
                 int64_t N, int64_t E, int64_t k, int64_t capacity) override {
    int32_t* workspace = moe_workspace_.grow(device_memory(), kernels::moe_route_workspace(N, E, k));
    kernels::moe_route(f(logits_to_probs), f(lse), expert, slot, counts, sums, workspace, N, E, k, capacity);
  }
  void moe_route_backward(Out dlogits, In dprobs, In probs, In lse, const int64_t* load, int64_t N, int64_t E,
                          int64_t k, double aux_scale, double z_scale) override {
    kernels::moe_route_backward(f(dlogits), f(dprobs), f(probs), f(lse), load, N, E, k, aux_scale, z_scale);
  }
  void moe_permute(Out send, int32_t* position, In x, const int32_t* expert, const int32_t* slot,
                   const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d) override {
    kernels::moe_permute(f(send), position, f(x), expert, slot, kept, N, E, k, d);
  }
  void gather_rows(Out out, In in, const int32_t* index, int64_t rows, int64_t width) override {
    kernels::gather_rows(f(out), f(in), index, rows, width);
  }
  void scatter_rows(Out out, In in, const int32_t* index, int64_t rows, int64_t width) override {
    kernels::scatter_rows(f(out), f(in), index, rows, width);
  }
  void moe_combine(InOut out, In rows, In probs, const int32_t* expert, const int32_t* position, int64_t N, int64_t E,
                   int64_t k, int64_t d, bool accumulate) override {
    kernels::moe_combine(f(out), f(rows), f(probs), expert, position, N, E, k, d, accumulate);
  }
  void moe_combine_backward(Out drows, Acc dprobs, In dout, In rows, In probs, const int32_t* expert,
                            const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d) override {
    kernels::moe_combine_backward(f(drows), f(dprobs), f(dout), f(rows), f(probs), expert, position, N, E, k, d);
  }
  void synchronize() override { MOELAW_CUDA_CHECK(cudaDeviceSynchronize()); }

 private:
  // Every tensor but the bf16 activations is fp32 (as<float>() says so otherwise).
  static const float* f(In x) { return x.as<float>(); }
  template <int Role>
  static float* f(backend::Writable<Role> x) {
    return x.template as<float>();
  }

  int device_;
  backend::Precision precision_;
  cublasHandle_t blas_ = nullptr;
  // Scratch in plain device memory: freed after bf16_ (declared below, so destroyed first) without
  // passing through this backend's free_bytes.
  backend::DeviceArray<float> attention_scratch_;  // attention's dP/dS buffer (flash: Δ)
  backend::DeviceArray<int32_t> moe_workspace_;    // the router's per-chunk expert counts
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
