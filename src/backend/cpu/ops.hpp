#pragma once
// The CPU reference implementation of every backend operation: plain functions on raw row-major
// buffers with explicit shapes (llm.c's layer functions are the model). Templated on the number
// type so gradient checks can run the same code in double; instantiated for float and double.
//
// Conventions shared by all operations (and by any other backend):
//  * N is the number of token positions (B·T), C the width, F the feed-forward width.
//  * Forward functions overwrite their outputs.
//  * Backward functions ACCUMULATE (+=) into every gradient they produce, inputs and weights
//    alike, so residual branches and micro-batches add up without extra copies. Callers zero
//    gradient buffers when they want a fresh value.
#include <cstddef>
#include <cstdint>

namespace moelaw::backend::cpu {

// out[N,OC] = in[N,C] · w[OC,C]ᵀ   (a linear layer without bias, weight stored [out, in]).
template <typename T>
void matmul_forward(T* out, const T* in, const T* w, int64_t N, int64_t C, int64_t OC);
// din[N,C] += dout·w ;  dw[OC,C] += doutᵀ·in.   Either gradient may be null (not wanted).
template <typename T>
void matmul_backward(T* din, T* dw, const T* dout, const T* in, const T* w, int64_t N, int64_t C,
                     int64_t OC);

// out[N,C] = table[tokens[n], :]
template <typename T>
void embedding_forward(T* out, const int32_t* tokens, const T* table, int64_t N, int64_t C);
// dtable[tokens[n], :] += dout[n, :]   (scatter-add; deterministic for repeated tokens).
template <typename T>
void embedding_backward(T* dtable, const T* dout, const int32_t* tokens, int64_t N, int64_t C);

// out = in / rms(in) * gain per row, rms = sqrt(mean(in²) + eps); rstd[N] = 1/rms is saved.
template <typename T>
void rmsnorm_forward(T* out, T* rstd, const T* in, const T* gain, int64_t N, int64_t C, double eps);
template <typename T>
void rmsnorm_backward(T* din, T* dgain, const T* dout, const T* in, const T* gain, const T* rstd,
                      int64_t N, int64_t C);

// Rotary position embedding on x[B,T,H,D] ("rotate half": dimension i pairs with i + D/2, angle
// pos·theta^(−2i/D), pos = the index t within the sequence).
template <typename T>
void rope_forward(T* out, const T* in, int64_t B, int64_t T_, int64_t H, int64_t D, double theta);
// din += R(−angle)·dout  (the rotation's transpose).
template <typename T>
void rope_backward(T* din, const T* dout, int64_t B, int64_t T_, int64_t H, int64_t D,
                   double theta);

// Causal multi-head attention. q, k, v, out: [B,T,H,D] (= [B,T,C]); probs[B,H,T,T] saves the
// softmax (entries above the diagonal are zero): the CPU backend's attention state (the seam's
// `state`). Scores are scaled by 1/sqrt(D).
template <typename T>
void attention_forward(T* out, T* probs, const T* q, const T* k, const T* v, int64_t B, int64_t T_,
                       int64_t H, int64_t D);
template <typename T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* probs, const T* q, const T* k,
                        const T* v, int64_t B, int64_t T_, int64_t H, int64_t D);

// SwiGLU gate: out[N,F] = silu(gate) ⊙ up.
template <typename T>
void swiglu_forward(T* out, const T* gate, const T* up, int64_t N, int64_t F);
template <typename T>
void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t N,
                     int64_t F);

// out[n] = a[n] + b[n]  (residual connection; its backward is the identity on both inputs).
template <typename T>
void add_forward(T* out, const T* a, const T* b, int64_t n);

// Softmax cross-entropy over V classes. IN PLACE, to keep one [N,V] buffer (V is 50,257):
// forward turns logits into probabilities and writes each row's loss −log p[target];
// backward turns those probabilities into d(scale·Σ losses)/dlogits = scale·(p − onehot).
// A target < 0 marks a position without a loss (its gradient row becomes zero).
template <typename T>
void cross_entropy_forward(T* losses, T* logits_to_probs, const int32_t* targets, int64_t N,
                           int64_t V);
template <typename T>
void cross_entropy_backward(T* probs_to_dlogits, const int32_t* targets, double scale, int64_t N,
                            int64_t V);

// AdamW with decoupled weight decay, one tensor at a time; step counts from 1:
// m = β1·m + (1−β1)·g ; v = β2·v + (1−β2)·g² ; p −= lr·( m̂/(sqrt(v̂)+eps) + weight_decay·p ).
struct AdamWHyper {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;
};
template <typename T>
void adamw_update(T* params, const T* grads, T* m, T* v, int64_t n, const AdamWHyper& h);

// Σ x² in double (the global gradient norm is the square root of the sum over tensors).
template <typename T>
double sum_squares(const T* x, int64_t n);
// Σ x in double (mean loss of a batch).
template <typename T>
double sum(const T* x, int64_t n);
// x *= s (gradient clipping, micro-batch scaling).
template <typename T>
void scale(T* x, int64_t n, double s);

}  // namespace moelaw::backend::cpu
