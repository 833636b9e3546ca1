// Backend<T> on the CPU: host memory and the reference operations of backend/cpu/ops.hpp.
#include <cstdlib>
#include <cstring>
#include <new>

#include "backend/backend.hpp"

namespace moelaw::backend {

namespace {

template <typename T>
class CpuBackend final : public Backend<T> {
 public:
  std::string name() const override { return "cpu"; }

  void* allocate_bytes(size_t bytes) override {
    if (bytes == 0) return nullptr;
    // 64-byte alignment suits AVX-512 loads and keeps threads' rows off shared cache lines.
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) throw std::bad_alloc();
    return p;
  }
  void free_bytes(void* p) override { std::free(p); }
  void copy_to_device(void* dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void zero_bytes(void* p, size_t bytes) override {
    if (bytes) std::memset(p, 0, bytes);
  }

  void matmul_forward(T* out, const T* in, const T* w, int64_t N, int64_t C, int64_t OC) override {
    cpu::matmul_forward(out, in, w, N, C, OC);
  }
  void matmul_backward(T* din, T* dw, const T* dout, const T* in, const T* w, int64_t N, int64_t C,
                       int64_t OC) override {
    cpu::matmul_backward(din, dw, dout, in, w, N, C, OC);
  }
  void embedding_forward(T* out, const int32_t* tokens, const T* table, int64_t N,
                         int64_t C) override {
    cpu::embedding_forward(out, tokens, table, N, C);
  }
  void embedding_backward(T* dtable, const T* dout, const int32_t* tokens, int64_t N,
                          int64_t C) override {
    cpu::embedding_backward(dtable, dout, tokens, N, C);
  }
  void rmsnorm_forward(T* out, T* rstd, const T* in, const T* gain, int64_t N, int64_t C,
                       double eps) override {
    cpu::rmsnorm_forward(out, rstd, in, gain, N, C, eps);
  }
  void rmsnorm_backward(T* din, T* dgain, const T* dout, const T* in, const T* gain, const T* rstd,
                        int64_t N, int64_t C) override {
    cpu::rmsnorm_backward(din, dgain, dout, in, gain, rstd, N, C);
  }
  void rope_forward(T* out, const T* in, int64_t B, int64_t T_, int64_t H, int64_t D,
                    double theta) override {
    cpu::rope_forward(out, in, B, T_, H, D, theta);
  }
  void rope_backward(T* din, const T* dout, int64_t B, int64_t T_, int64_t H, int64_t D,
                     double theta) override {
    cpu::rope_backward(din, dout, B, T_, H, D, theta);
  }
  // The state is the probabilities [B,H,T,T]; the forward's output is not needed.
  int64_t attention_state_size(int64_t B, int64_t T_, int64_t H, int64_t) const override {
    return B * H * T_ * T_;
  }
  void attention_forward(T* out, T* state, const T* q, const T* k, const T* v, int64_t B,
                         int64_t T_, int64_t H, int64_t D) override {
    cpu::attention_forward(out, state, q, k, v, B, T_, H, D);
  }
  void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* /*out*/, const T* state,
                          const T* q, const T* k, const T* v, int64_t B, int64_t T_, int64_t H,
                          int64_t D) override {
    cpu::attention_backward(dq, dk, dv, dout, state, q, k, v, B, T_, H, D);
  }
  void swiglu_forward(T* out, const T* gate, const T* up, int64_t N, int64_t F) override {
    cpu::swiglu_forward(out, gate, up, N, F);
  }
  void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t N,
                       int64_t F) override {
    cpu::swiglu_backward(dgate, dup, dout, gate, up, N, F);
  }
  void add_forward(T* out, const T* a, const T* b, int64_t n) override {
    cpu::add_forward(out, a, b, n);
  }
  void cross_entropy_forward(T* losses, T* logits_to_probs, const int32_t* targets, int64_t N,
                             int64_t V) override {
    cpu::cross_entropy_forward(losses, logits_to_probs, targets, N, V);
  }
  void cross_entropy_backward(T* probs_to_dlogits, const int32_t* targets, double scale, int64_t N,
                              int64_t V) override {
    cpu::cross_entropy_backward(probs_to_dlogits, targets, scale, N, V);
  }
  void adamw_update(T* params, const T* grads, T* m, T* v, int64_t n,
                    const AdamWHyper& h) override {
    cpu::adamw_update(params, grads, m, v, n, h);
  }
  double sum_squares(const T* x, int64_t n) override { return cpu::sum_squares(x, n); }
  double sum(const T* x, int64_t n) override { return cpu::sum(x, n); }
  void scale(T* x, int64_t n, double s) override { cpu::scale(x, n, s); }

  void moe_route(T* logits_to_probs, T* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums, int64_t N,
                 int64_t E, int64_t k, int64_t capacity) override {
    cpu::moe_route(logits_to_probs, lse, expert, slot, counts, sums, N, E, k, capacity);
  }
  void moe_route_backward(T* dlogits, const T* dprobs, const T* probs, const T* lse, const int64_t* load, int64_t N,
                          int64_t E, int64_t k, double aux_scale, double z_scale) override {
    cpu::moe_route_backward(dlogits, dprobs, probs, lse, load, N, E, k, aux_scale, z_scale);
  }
  void moe_permute(T* send, int32_t* position, const T* x, const int32_t* expert, const int32_t* slot,
                   const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d) override {
    cpu::moe_permute(send, position, x, expert, slot, kept, N, E, k, d);
  }
  void gather_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width) override {
    cpu::gather_rows(out, in, index, rows, width);
  }
  void scatter_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width) override {
    cpu::scatter_rows(out, in, index, rows, width);
  }
  void moe_combine(T* out, const T* rows, const T* probs, const int32_t* expert, const int32_t* position, int64_t N,
                   int64_t E, int64_t k, int64_t d, bool accumulate) override {
    cpu::moe_combine(out, rows, probs, expert, position, N, E, k, d, accumulate);
  }
  void moe_combine_backward(T* drows, T* dprobs, const T* dout, const T* rows, const T* probs, const int32_t* expert,
                            const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d) override {
    cpu::moe_combine_backward(drows, dprobs, dout, rows, probs, expert, position, N, E, k, d);
  }
};

}  // namespace

template <typename T>
std::unique_ptr<Backend<T>> make_cpu_backend() {
  return std::make_unique<CpuBackend<T>>();
}

template std::unique_ptr<Backend<float>> make_cpu_backend<float>();
template std::unique_ptr<Backend<double>> make_cpu_backend<double>();

}  // namespace moelaw::backend
