#pragma once
// The CPU reference of the MoE layer's operations (moe/moe_layer.hpp), on raw row-major buffers
// like backend/cpu/ops.hpp. A choice i = t·k + j is token t's j-th expert choice (j = 0 is its
// most probable expert). Integers (experts, slots, positions, counts) must come out the same on
// every backend: they decide which rows travel where.
#include <cstdint>

namespace moelaw::backend::cpu {

// The router after its logits matmul. In place, logits [N,E] become the softmax; lse[N] gets each
// row's logsumexp. expert[N,k]: each token's top-k experts by probability, ties to the lower
// index. Capacity (none when capacity < 0): choices are served in order of choice rank j, then
// token t; slot[i] = how many choices before i (in that order) went to the same expert; a choice
// with slot ≥ capacity is dropped (expert and slot become −1).
// counts[2E]: load (choices per expert before capacity), then kept (min(load, capacity)).
// sums[E+1] in double: Σ_t probs[t,e] per expert, then Σ_t lse_t² (the auxiliary losses' parts).
template <typename T>
void moe_route(T* logits_to_probs, T* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
               int64_t N, int64_t E, int64_t k, int64_t capacity);

// The router's backward to its logits (dlogits [N,E] is overwritten): the softmax backward of
// g = dprobs + the load-balancing gradient aux_scale·E·load[e]/(N·k·N), plus the z-loss
// gradient z_scale·2·lse·p/N. load: the first E of moe_route's counts.
template <typename T>
void moe_route_backward(T* dlogits, const T* dprobs, const T* probs, const T* lse, const int64_t* load, int64_t N,
                        int64_t E, int64_t k, double aux_scale, double z_scale);

// The dispatcher's send buffer, rows grouped by expert in slot order:
// position[i] = Σ_{e < expert[i]} kept[e] + slot[i] (−1 when dropped); send[position[i], :] = x[t, :].
template <typename T>
void moe_permute(T* send, int32_t* position, const T* x, const int32_t* expert, const int32_t* slot,
                 const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d);

// out[i, :] = in[index[i], :] for i < rows.
template <typename T>
void gather_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width);
// out[index[i], :] = in[i, :] for i < rows (index is one-to-one).
template <typename T>
void scatter_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width);

// out[t, :] = (accumulate ? out[t, :] : 0) + Σ over t's kept choices i, in choice order, of
// w_i·rows[position[i], :], where w_i = probs[t, expert[i]], or 1 when probs is null.
template <typename T>
void moe_combine(T* out, const T* rows, const T* probs, const int32_t* expert, const int32_t* position, int64_t N,
                 int64_t E, int64_t k, int64_t d, bool accumulate);
// Backward of the weighted combine: drows[position[i], :] = p_i·dout[t, :] (overwritten; every row
// of drows belongs to one kept choice) and dprobs[t, expert[i]] += dout[t, :]·rows[position[i], :].
template <typename T>
void moe_combine_backward(T* drows, T* dprobs, const T* dout, const T* rows, const T* probs, const int32_t* expert,
                          const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d);

}  // namespace moelaw::backend::cpu
