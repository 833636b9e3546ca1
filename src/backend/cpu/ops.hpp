#pragma once
// The CPU reference implementation of every backend operation: plain functions on raw row-major
// buffers with explicit shapes (llm.c's layer functions are the model). Templated on the number
// type so gradient checks can run the same code in double; instantiated for float and double.
// What each computes, reads, writes and accumulates is the op contract's (backend/ops.hpp).
#include <cstddef>
#include <cstdint>

#include "backend/ops.hpp"

namespace moelaw::backend::cpu {

template <typename T>
void matmul_forward(T* out, const T* in, const T* w, int64_t N, int64_t C, int64_t OC);
template <typename T>
void matmul_backward(T* din, T* dw, const T* dout, const T* in, const T* w, int64_t N, int64_t C,
                     int64_t OC);

template <typename T>
void embedding_forward(T* out, const int32_t* tokens, const T* table, int64_t N, int64_t C);
template <typename T>
void embedding_backward(T* dtable, const T* dout, const int32_t* tokens, int64_t N, int64_t C);

template <typename T>
void rmsnorm_forward(T* out, T* rstd, const T* in, const T* gain, int64_t N, int64_t C, double eps);
template <typename T>
void rmsnorm_backward(T* din, T* dgain, const T* dout, const T* in, const T* gain, const T* rstd,
                      int64_t N, int64_t C);

template <typename T>
void rope_forward(T* out, const T* in, int64_t B, int64_t T_, int64_t H, int64_t D, double theta);
template <typename T>
void rope_backward(T* din, const T* dout, int64_t B, int64_t T_, int64_t H, int64_t D,
                   double theta);

template <typename T>
void attention_forward(T* out, T* probs, const T* q, const T* k, const T* v, int64_t B, int64_t T_,
                       int64_t H, int64_t D);
template <typename T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* probs, const T* q, const T* k,
                        const T* v, int64_t B, int64_t T_, int64_t H, int64_t D);

template <typename T>
void swiglu_forward(T* out, const T* gate, const T* up, int64_t N, int64_t F);
template <typename T>
void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t N,
                     int64_t F);

template <typename T>
void add_forward(T* out, const T* a, const T* b, int64_t n);

template <typename T>
void cross_entropy_forward(T* losses, T* logits_to_probs, const int32_t* targets, int64_t N,
                           int64_t V);
template <typename T>
void cross_entropy_backward(T* probs_to_dlogits, const int32_t* targets, double scale, int64_t N,
                            int64_t V);

template <typename T>
void adamw_update(T* params, const T* grads, T* m, T* v, int64_t n, const AdamWHyper& h);

template <typename T>
double sum_squares(const T* x, int64_t n);
template <typename T>
double sum(const T* x, int64_t n);
template <typename T>
void scale(T* x, int64_t n, double s);

}  // namespace moelaw::backend::cpu
