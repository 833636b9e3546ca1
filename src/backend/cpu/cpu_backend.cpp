// Backend<T> on the CPU: host memory, and the op contract (backend/ops.hpp) by the reference
// functions of backend/cpu/ops.hpp and moe_ops.hpp.
#include <cstdlib>
#include <cstring>
#include <new>

#include "backend/backend.hpp"
#include "backend/cpu/moe_ops.hpp"
#include "backend/cpu/ops.hpp"

namespace moelaw::backend {

namespace {

template <typename T>
class CpuBackend final : public Backend<T> {
 public:
  std::string name() const override { return "cpu"; }
  BackendKind kind() const override { return BackendKind::cpu; }

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

  // The views' element type is T throughout (as<T>() says so otherwise).
  void matmul_forward(Out out, In in, In w, int64_t N, int64_t C, int64_t OC) override {
    cpu::matmul_forward(p(out), p(in), p(w), N, C, OC);
  }
  void matmul_backward(Acc din, Acc dw, In dout, In in, In w, int64_t N, int64_t C, int64_t OC) override {
    cpu::matmul_backward(p(din), p(dw), p(dout), p(in), p(w), N, C, OC);
  }
  void embedding_forward(Out out, const int32_t* tokens, In table, int64_t N, int64_t C) override {
    cpu::embedding_forward(p(out), tokens, p(table), N, C);
  }
  void embedding_backward(Acc dtable, In dout, const int32_t* tokens, int64_t N, int64_t C) override {
    cpu::embedding_backward(p(dtable), p(dout), tokens, N, C);
  }
  void rmsnorm_forward(Out out, Out rstd, In in, In gain, int64_t N, int64_t C, double eps) override {
    cpu::rmsnorm_forward(p(out), p(rstd), p(in), p(gain), N, C, eps);
  }
  void rmsnorm_backward(Acc din, Acc dgain, In dout, In in, In gain, In rstd, int64_t N, int64_t C) override {
    cpu::rmsnorm_backward(p(din), p(dgain), p(dout), p(in), p(gain), p(rstd), N, C);
  }
  void rope_forward(Out out, In in, int64_t B, int64_t T_, int64_t H, int64_t D, double theta) override {
    cpu::rope_forward(p(out), p(in), B, T_, H, D, theta);
  }
  void rope_backward(Acc din, In dout, int64_t B, int64_t T_, int64_t H, int64_t D, double theta) override {
    cpu::rope_backward(p(din), p(dout), B, T_, H, D, theta);
  }
  // The state is the probabilities [B,H,T,T]; the forward's output is not needed.
  int64_t attention_state_size(int64_t B, int64_t T_, int64_t H, int64_t) const override { return B * H * T_ * T_; }
  void attention_forward(Out out, Out state, In q, In k, In v, int64_t B, int64_t T_, int64_t H, int64_t D) override {
    cpu::attention_forward(p(out), p(state), p(q), p(k), p(v), B, T_, H, D);
  }
  void attention_backward(Acc dq, Acc dk, Acc dv, In dout, In /*out*/, In state, In q, In k, In v, int64_t B,
                          int64_t T_, int64_t H, int64_t D) override {
    cpu::attention_backward(p(dq), p(dk), p(dv), p(dout), p(state), p(q), p(k), p(v), B, T_, H, D);
  }
  void swiglu_forward(Out out, In gate, In up, int64_t N, int64_t F) override {
    cpu::swiglu_forward(p(out), p(gate), p(up), N, F);
  }
  void swiglu_backward(Acc dgate, Acc dup, In dout, In gate, In up, int64_t N, int64_t F) override {
    cpu::swiglu_backward(p(dgate), p(dup), p(dout), p(gate), p(up), N, F);
  }
  void add_forward(Out out, In a, In b, int64_t n) override { cpu::add_forward(p(out), p(a), p(b), n); }
  void cross_entropy_forward(Out losses, InOut logits_to_probs, const int32_t* targets, int64_t N,
                             int64_t V) override {
    cpu::cross_entropy_forward(p(losses), p(logits_to_probs), targets, N, V);
  }
  void cross_entropy_backward(InOut probs_to_dlogits, const int32_t* targets, double scale, int64_t N,
                              int64_t V) override {
    cpu::cross_entropy_backward(p(probs_to_dlogits), targets, scale, N, V);
  }
  void adamw_update(InOut params, In grads, InOut m, InOut v, int64_t n, const AdamWHyper& h) override {
    cpu::adamw_update(p(params), p(grads), p(m), p(v), n, h);
  }
  double sum_squares(In x, int64_t n) override { return cpu::sum_squares(p(x), n); }
  double sum(In x, int64_t n) override { return cpu::sum(p(x), n); }
  void scale(InOut x, int64_t n, double s) override { cpu::scale(p(x), n, s); }

  void moe_route(InOut logits_to_probs, Out lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
                 int64_t N, int64_t E, int64_t k, int64_t capacity) override {
    cpu::moe_route(p(logits_to_probs), p(lse), expert, slot, counts, sums, N, E, k, capacity);
  }
  void moe_route_backward(Out dlogits, In dprobs, In probs, In lse, const int64_t* load, int64_t N, int64_t E,
                          int64_t k, double aux_scale, double z_scale) override {
    cpu::moe_route_backward(p(dlogits), p(dprobs), p(probs), p(lse), load, N, E, k, aux_scale, z_scale);
  }
  void moe_permute(Out send, int32_t* position, In x, const int32_t* expert, const int32_t* slot,
                   const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d) override {
    cpu::moe_permute(p(send), position, p(x), expert, slot, kept, N, E, k, d);
  }
  void gather_rows(Out out, In in, const int32_t* index, int64_t rows, int64_t width) override {
    cpu::gather_rows(p(out), p(in), index, rows, width);
  }
  void scatter_rows(Out out, In in, const int32_t* index, int64_t rows, int64_t width) override {
    cpu::scatter_rows(p(out), p(in), index, rows, width);
  }
  void moe_combine(InOut out, In rows, In probs, const int32_t* expert, const int32_t* position, int64_t N,
                   int64_t E, int64_t k, int64_t d, bool accumulate) override {
    cpu::moe_combine(p(out), p(rows), p(probs), expert, position, N, E, k, d, accumulate);
  }
  void moe_combine_backward(Out drows, Acc dprobs, In dout, In rows, In probs, const int32_t* expert,
                            const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d) override {
    cpu::moe_combine_backward(p(drows), p(dprobs), p(dout), p(rows), p(probs), expert, position, N, E, k, d);
  }

 private:
  static const T* p(In x) { return x.as<T>(); }
  template <int Role>
  static T* p(Writable<Role> x) {
    return x.template as<T>();
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
