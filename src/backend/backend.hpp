#pragma once
// The seam between the model and the hardware: every operation the transformer needs, forward and
// backward, on buffers in the backend's memory. The CPU reference (backend/cpu) implements it for
// float and double; a CUDA backend implements Backend<float> with the same shapes and the same
// accumulate-into-gradients contract, spelled out in backend/cpu/ops.hpp.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "backend/cpu/moe_ops.hpp"
#include "backend/cpu/ops.hpp"
#include "backend/device_memory.hpp"

namespace moelaw::backend {

using cpu::AdamWHyper;

template <typename T>
class Backend : public DeviceMemory {
 public:
  virtual std::string name() const = 0;

  // The model's parameters live in one buffer [base, base + n): a mixed-precision backend may keep
  // a low-precision copy of it for the matrix products (refreshed after copy_to_device/zero_bytes
  // into the range, updated by adamw_update). Called again after the buffer is reallocated or
  // written by any other means. Default: nothing to keep (the CPU reference, fp32 on the GPU).
  virtual void register_weights(const T* base, size_t n) {
    (void)base;
    (void)n;
  }

  virtual void matmul_forward(T* out, const T* in, const T* w, int64_t N, int64_t C, int64_t OC) = 0;
  virtual void matmul_backward(T* din, T* dw, const T* dout, const T* in, const T* w, int64_t N,
                               int64_t C, int64_t OC) = 0;
  // The experts' products, one per group: group g is rows[g] consecutive rows of in/out (din/dout),
  // the groups one after the other, with weight w + g·w_stride (same shapes and contract as
  // matmul_forward/matmul_backward). rows is a host array; groups with no rows are skipped.
  // Default: the per-group loop, so the CPU reference computes exactly what a loop would.
  virtual void grouped_matmul_forward(T* out, const T* in, const T* w, const int64_t* rows, int64_t groups,
                                      int64_t C, int64_t OC, int64_t w_stride) {
    int64_t row = 0;
    for (int64_t g = 0; g < groups; ++g) {
      if (rows[g] > 0) matmul_forward(out + row * OC, in + row * C, w + g * w_stride, rows[g], C, OC);
      row += rows[g];
    }
  }
  virtual void grouped_matmul_backward(T* din, T* dw, const T* dout, const T* in, const T* w, const int64_t* rows,
                                       int64_t groups, int64_t C, int64_t OC, int64_t w_stride) {
    int64_t row = 0;
    for (int64_t g = 0; g < groups; ++g) {
      if (rows[g] > 0)
        matmul_backward(din ? din + row * C : nullptr, dw ? dw + g * w_stride : nullptr, dout + row * OC,
                        in + row * C, w + g * w_stride, rows[g], C, OC);
      row += rows[g];
    }
  }
  virtual void embedding_forward(T* out, const int32_t* tokens, const T* table, int64_t N,
                                 int64_t C) = 0;
  virtual void embedding_backward(T* dtable, const T* dout, const int32_t* tokens, int64_t N,
                                  int64_t C) = 0;
  virtual void rmsnorm_forward(T* out, T* rstd, const T* in, const T* gain, int64_t N, int64_t C,
                               double eps) = 0;
  virtual void rmsnorm_backward(T* din, T* dgain, const T* dout, const T* in, const T* gain,
                                const T* rstd, int64_t N, int64_t C) = 0;
  virtual void rope_forward(T* out, const T* in, int64_t B, int64_t T_, int64_t H, int64_t D,
                            double theta) = 0;
  virtual void rope_backward(T* din, const T* dout, int64_t B, int64_t T_, int64_t H, int64_t D,
                             double theta) = 0;
  // Attention saves a backend-defined state for its backward: attention_state_size values of T
  // per call (the CPU reference keeps the probabilities, B·H·T·T; a flash-attention backend keeps
  // one log-sum-exp per row, B·H·T). The backward also receives the forward's output `out`.
  virtual int64_t attention_state_size(int64_t B, int64_t T_, int64_t H, int64_t D) const = 0;
  virtual void attention_forward(T* out, T* state, const T* q, const T* k, const T* v, int64_t B,
                                 int64_t T_, int64_t H, int64_t D) = 0;
  virtual void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* out,
                                  const T* state, const T* q, const T* k, const T* v, int64_t B,
                                  int64_t T_, int64_t H, int64_t D) = 0;
  virtual void swiglu_forward(T* out, const T* gate, const T* up, int64_t N, int64_t F) = 0;
  virtual void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up,
                               int64_t N, int64_t F) = 0;
  virtual void add_forward(T* out, const T* a, const T* b, int64_t n) = 0;
  virtual void cross_entropy_forward(T* losses, T* logits_to_probs, const int32_t* targets,
                                     int64_t N, int64_t V) = 0;
  virtual void cross_entropy_backward(T* probs_to_dlogits, const int32_t* targets, double scale,
                                      int64_t N, int64_t V) = 0;
  virtual void adamw_update(T* params, const T* grads, T* m, T* v, int64_t n,
                            const AdamWHyper& h) = 0;
  virtual double sum_squares(const T* x, int64_t n) = 0;
  virtual double sum(const T* x, int64_t n) = 0;
  virtual void scale(T* x, int64_t n, double s) = 0;

  // The MoE layer's routing, permutation and combine (contracts in backend/cpu/moe_ops.hpp).
  virtual void moe_route(T* logits_to_probs, T* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
                         int64_t N, int64_t E, int64_t k, int64_t capacity) = 0;
  virtual void moe_route_backward(T* dlogits, const T* dprobs, const T* probs, const T* lse, const int64_t* load,
                                  int64_t N, int64_t E, int64_t k, double aux_scale, double z_scale) = 0;
  virtual void moe_permute(T* send, int32_t* position, const T* x, const int32_t* expert, const int32_t* slot,
                           const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d) = 0;
  virtual void gather_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width) = 0;
  virtual void scatter_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width) = 0;
  virtual void moe_combine(T* out, const T* rows, const T* probs, const int32_t* expert, const int32_t* position,
                           int64_t N, int64_t E, int64_t k, int64_t d, bool accumulate) = 0;
  virtual void moe_combine_backward(T* drows, T* dprobs, const T* dout, const T* rows, const T* probs,
                                    const int32_t* expert, const int32_t* position, int64_t N, int64_t E, int64_t k,
                                    int64_t d) = 0;

  // Waits until every operation issued so far has finished (phase timers); a no-op on the CPU.
  virtual void synchronize() {}
};

// The CPU reference backend (BLAS for matrix products, OpenMP for the rest).
template <typename T>
std::unique_ptr<Backend<T>> make_cpu_backend();

}  // namespace moelaw::backend
