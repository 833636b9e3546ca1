#pragma once
// The op contract: every operation the model needs from a backend, declared once, here. Each
// parameter's type says what the op does with it (backend/tensor.hpp): In is read, Out is
// overwritten, Acc is added into, InOut is read and then overwritten in place. Integer arrays
// (tokens, experts, slots, counts) are typed pointers in the backend's memory and must come out the
// same on every backend: they decide which rows travel where.
//
// Conventions shared by all operations:
//  * Buffers are row-major; N is the number of token positions (B·T), C the width, F the
//    feed-forward width, V the vocabulary, E the experts, k the choices per token.
//  * Forward ops overwrite their outputs; backward ops ACCUMULATE (+=) into every gradient, inputs
//    and weights alike, so residual branches and micro-batches add up without copies. A null
//    gradient is one not wanted.
//  * T is the backend's number type for parameters, their gradients, optimizer state and every
//    tensor not said otherwise; the activations that only feed matrix products may be kept in
//    activation_type() (bf16 on a mixed-precision GPU backend), and the ops that write or read
//    those take views of that type.
// Backends: backend/cpu (the reference, float and double) and cuda/ (float). Every op family of
// kOps has an entry in the op table the tests iterate over (tests/support/op_table.hpp).
//
// Adding an op: declare it here (and its family in MOELAW_OP_FAMILIES); the CPU reference in
// backend/cpu/<family>.cpp, declared in backend/cpu/ops.hpp and called from cpu_backend.cpp; the
// CUDA kernels in cuda/<family>.cu, declared in cuda/kernels.hpp and called from cuda_backend.cu;
// a case in tests/support/op_table.hpp (the gradient and CPU-against-CUDA tests fail without one);
// and the model code that uses it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "backend/device_memory.hpp"
#include "backend/tensor.hpp"

namespace moelaw::backend {

// Which implementation a backend is (decisions are made on this, never on name()).
enum class BackendKind { cpu, cuda };

// AdamW with decoupled weight decay, one tensor at a time; step counts from 1:
// m = β1·m + (1−β1)·g ; v = β2·v + (1−β2)·g² ; p −= lr·( m̂/(sqrt(v̂)+eps) + weight_decay·p ).
struct AdamWHyper {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;
};

// The op families of the contract (forward and backward together), in the order declared below.
#define MOELAW_OP_FAMILIES(X)                                                                                  \
  X(matmul) X(grouped_matmul) X(embedding) X(rmsnorm) X(rope) X(attention) X(swiglu) X(add) X(cross_entropy) \
  X(adamw) X(sum_squares) X(sum) X(scale) X(moe_route) X(moe_permute) X(gather_rows) X(scatter_rows)          \
  X(moe_combine)

enum class Op {
#define MOELAW_OP_ENUM(name) name,
  MOELAW_OP_FAMILIES(MOELAW_OP_ENUM)
#undef MOELAW_OP_ENUM
};
inline constexpr Op kOps[] = {
#define MOELAW_OP_LIST(name) Op::name,
    MOELAW_OP_FAMILIES(MOELAW_OP_LIST)
#undef MOELAW_OP_LIST
};
inline constexpr const char* op_name(Op op) {
  constexpr const char* names[] = {
#define MOELAW_OP_NAME(name) #name,
      MOELAW_OP_FAMILIES(MOELAW_OP_NAME)
#undef MOELAW_OP_NAME
  };
  return names[static_cast<int>(op)];
}

template <typename T>
class Backend : public DeviceMemory {
 public:
  virtual std::string name() const = 0;  // for people: "cpu", "cuda", "cuda-bf16"
  virtual BackendKind kind() const = 0;
  // The element type of the activations that only feed matrix products (normalised inputs, the
  // SwiGLU output): rmsnorm_forward and swiglu_forward write it, matmul and grouped_matmul read it
  // as their `in`. Default: T (the CPU reference, fp32 on the GPU).
  virtual DType activation_type() const { return dtype_of<T>; }

  // The model's parameters live in one buffer [base, base + n): a mixed-precision backend may keep
  // a low-precision copy of it for the matrix products (refreshed after copy_to_device/zero_bytes
  // into the range, updated by adamw_update). Called again after the buffer is reallocated or
  // written by any other means. Default: nothing to keep.
  virtual void register_weights(const T* base, size_t n) {
    (void)base;
    (void)n;
  }

  // matmul: out[N,OC] = in[N,C] · w[OC,C]ᵀ (a linear layer without bias, weight stored [out, in]).
  // Backward: din[N,C] += dout·w ; dw[OC,C] += doutᵀ·in.
  virtual void matmul_forward(Out out, In in, In w, int64_t N, int64_t C, int64_t OC) = 0;
  virtual void matmul_backward(Acc din, Acc dw, In dout, In in, In w, int64_t N, int64_t C, int64_t OC) = 0;
  // grouped_matmul: the experts' products, one per group: group g is rows[g] consecutive rows of
  // in/out (din/dout), the groups one after the other, with weight w + g·w_stride (same shapes and
  // contract as matmul). rows is a host array; groups with no rows are skipped. Default: the
  // per-group loop, so the CPU reference computes exactly what a loop would.
  virtual void grouped_matmul_forward(Out out, In in, In w, const int64_t* rows, int64_t groups, int64_t C,
                                      int64_t OC, int64_t w_stride) {
    int64_t row = 0;
    for (int64_t g = 0; g < groups; ++g) {
      if (rows[g] > 0) matmul_forward(out.at(row * OC), in.at(row * C), w.at(g * w_stride), rows[g], C, OC);
      row += rows[g];
    }
  }
  virtual void grouped_matmul_backward(Acc din, Acc dw, In dout, In in, In w, const int64_t* rows, int64_t groups,
                                       int64_t C, int64_t OC, int64_t w_stride) {
    int64_t row = 0;
    for (int64_t g = 0; g < groups; ++g) {
      if (rows[g] > 0)
        matmul_backward(din.at(row * C), dw.at(g * w_stride), dout.at(row * OC), in.at(row * C), w.at(g * w_stride),
                        rows[g], C, OC);
      row += rows[g];
    }
  }
  // embedding: out[N,C] = table[tokens[n], :]. Backward: dtable[tokens[n], :] += dout[n, :]
  // (scatter-add, deterministic for repeated tokens).
  virtual void embedding_forward(Out out, const int32_t* tokens, In table, int64_t N, int64_t C) = 0;
  virtual void embedding_backward(Acc dtable, In dout, const int32_t* tokens, int64_t N, int64_t C) = 0;
  // rmsnorm: out = in / rms(in) · gain per row, rms = sqrt(mean(in²) + eps); rstd[N] = 1/rms is
  // saved for the backward. out may be of activation_type().
  virtual void rmsnorm_forward(Out out, Out rstd, In in, In gain, int64_t N, int64_t C, double eps) = 0;
  virtual void rmsnorm_backward(Acc din, Acc dgain, In dout, In in, In gain, In rstd, int64_t N, int64_t C) = 0;
  // rope: rotary position embedding on x[B,T,H,D] ("rotate half": dimension i pairs with i + D/2,
  // angle pos·theta^(−2i/D), pos = the index t within the sequence). Backward: din += R(−angle)·dout.
  virtual void rope_forward(Out out, In in, int64_t B, int64_t T_, int64_t H, int64_t D, double theta) = 0;
  virtual void rope_backward(Acc din, In dout, int64_t B, int64_t T_, int64_t H, int64_t D, double theta) = 0;
  // attention: causal multi-head attention; q, k, v, out [B,T,H,D] (= [B,T,C]); scores scaled by
  // 1/sqrt(D). The forward saves a backend-defined state for the backward, attention_state_size
  // values of T (the CPU keeps the probabilities [B,H,T,T], zero above the diagonal; a flash
  // backend one log-sum-exp per row, B·H·T). The backward also receives the forward's output.
  virtual int64_t attention_state_size(int64_t B, int64_t T_, int64_t H, int64_t D) const = 0;
  virtual void attention_forward(Out out, Out state, In q, In k, In v, int64_t B, int64_t T_, int64_t H,
                                 int64_t D) = 0;
  virtual void attention_backward(Acc dq, Acc dk, Acc dv, In dout, In out, In state, In q, In k, In v, int64_t B,
                                  int64_t T_, int64_t H, int64_t D) = 0;
  // swiglu: out[N,F] = silu(gate) ⊙ up; out may be of activation_type().
  virtual void swiglu_forward(Out out, In gate, In up, int64_t N, int64_t F) = 0;
  virtual void swiglu_backward(Acc dgate, Acc dup, In dout, In gate, In up, int64_t N, int64_t F) = 0;
  // add: out[n] = a[n] + b[n] (the residual connection; its backward is the identity on both).
  virtual void add_forward(Out out, In a, In b, int64_t n) = 0;
  // cross_entropy: softmax cross-entropy over V classes, IN PLACE to keep one [N,V] buffer: the
  // forward turns logits into probabilities and writes each row's loss −log p[target]; the
  // backward turns those into d(scale·Σ losses)/dlogits = scale·(p − onehot). A target < 0 marks a
  // position without a loss (loss 0, gradient row 0).
  virtual void cross_entropy_forward(Out losses, InOut logits_to_probs, const int32_t* targets, int64_t N,
                                     int64_t V) = 0;
  virtual void cross_entropy_backward(InOut probs_to_dlogits, const int32_t* targets, double scale, int64_t N,
                                      int64_t V) = 0;
  // adamw: the update of AdamWHyper on params, m and v in place, from grads.
  virtual void adamw_update(InOut params, In grads, InOut m, InOut v, int64_t n, const AdamWHyper& h) = 0;
  // sum_squares, sum: Σ x², Σ x in double, in an order that does not depend on threads.
  virtual double sum_squares(In x, int64_t n) = 0;
  virtual double sum(In x, int64_t n) = 0;
  // scale: x *= s (gradient clipping, micro-batch scaling).
  virtual void scale(InOut x, int64_t n, double s) = 0;

  // The MoE layer's ops (moe/moe_layer.hpp). A choice i = t·k + j is token t's j-th expert
  // choice (j = 0 is its most probable expert).
  //
  // moe_route: the router after its logits matmul. In place, logits [N,E] become the softmax;
  // lse[N] gets each row's logsumexp. expert[N,k]: each token's top-k experts by probability, ties
  // to the lower index. Capacity (none when capacity < 0): choices are served in order of choice
  // rank j, then token t; slot[i] = how many choices before i (in that order) went to the same
  // expert; a choice with slot ≥ capacity is dropped (expert and slot become −1). counts[2E]: load
  // (choices per expert before capacity), then kept (min(load, capacity)). sums[E+1] in double:
  // Σ_t probs[t,e] per expert, then Σ_t lse_t² (the auxiliary losses' parts).
  virtual void moe_route(InOut logits_to_probs, Out lse, int32_t* expert, int32_t* slot, int64_t* counts,
                         double* sums, int64_t N, int64_t E, int64_t k, int64_t capacity) = 0;
  // Its backward to the logits (dlogits [N,E] is OVERWRITTEN): the softmax backward of
  // g = dprobs + the load-balancing gradient aux_scale·E·load[e]/(N·k·N), plus the z-loss gradient
  // z_scale·2·lse·p/N. load: the first E of moe_route's counts.
  virtual void moe_route_backward(Out dlogits, In dprobs, In probs, In lse, const int64_t* load, int64_t N,
                                  int64_t E, int64_t k, double aux_scale, double z_scale) = 0;
  // moe_permute: the dispatcher's send buffer, rows grouped by expert in slot order:
  // position[i] = Σ_{e < expert[i]} kept[e] + slot[i] (−1 when dropped); send[position[i], :] = x[t, :].
  virtual void moe_permute(Out send, int32_t* position, In x, const int32_t* expert, const int32_t* slot,
                           const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d) = 0;
  // gather_rows: out[i, :] = in[index[i], :]; scatter_rows: out[index[i], :] = in[i, :] (index one-to-one).
  virtual void gather_rows(Out out, In in, const int32_t* index, int64_t rows, int64_t width) = 0;
  virtual void scatter_rows(Out out, In in, const int32_t* index, int64_t rows, int64_t width) = 0;
  // moe_combine: out[t, :] = (accumulate ? out[t, :] : 0) + Σ over t's kept choices i, in choice
  // order, of w_i·rows[position[i], :], where w_i = probs[t, expert[i]], or 1 when probs is null.
  // Backward of the weighted combine: drows[position[i], :] = p_i·dout[t, :] (OVERWRITTEN; every
  // row of drows belongs to one kept choice) and dprobs[t, expert[i]] += dout[t, :]·rows[position[i], :].
  virtual void moe_combine(InOut out, In rows, In probs, const int32_t* expert, const int32_t* position, int64_t N,
                           int64_t E, int64_t k, int64_t d, bool accumulate) = 0;
  virtual void moe_combine_backward(Out drows, Acc dprobs, In dout, In rows, In probs, const int32_t* expert,
                                    const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d) = 0;

  // Waits until every operation issued so far has finished (phase timers); a no-op on the CPU.
  virtual void synchronize() {}
};

}  // namespace moelaw::backend
