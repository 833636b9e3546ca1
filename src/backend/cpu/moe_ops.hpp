#pragma once
// The CPU reference of the MoE layer's operations, on raw row-major buffers like
// backend/cpu/ops.hpp; what each computes is the op contract's (backend/ops.hpp).
#include <cstdint>

namespace moelaw::backend::cpu {

template <typename T>
void moe_route(T* logits_to_probs, T* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
               int64_t N, int64_t E, int64_t k, int64_t capacity);
template <typename T>
void moe_route_backward(T* dlogits, const T* dprobs, const T* probs, const T* lse, const int64_t* load, int64_t N,
                        int64_t E, int64_t k, double aux_scale, double z_scale);
template <typename T>
void moe_permute(T* send, int32_t* position, const T* x, const int32_t* expert, const int32_t* slot,
                 const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d);
template <typename T>
void gather_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width);
template <typename T>
void scatter_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width);
template <typename T>
void moe_combine(T* out, const T* rows, const T* probs, const int32_t* expert, const int32_t* position, int64_t N,
                 int64_t E, int64_t k, int64_t d, bool accumulate);
template <typename T>
void moe_combine_backward(T* drows, T* dprobs, const T* dout, const T* rows, const T* probs, const int32_t* expert,
                          const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d);

}  // namespace moelaw::backend::cpu
