#pragma once
// Launchers of the MoE layer's kernels, with the contracts of backend/cpu/moe_ops.hpp (fp32
// rows; integers bit for bit the CPU's). Default stream, like cuda/kernels.hpp.
#include <cstddef>
#include <cstdint>

namespace moelaw::cuda::kernels {

// Integers of scratch moe_route needs for N tokens, k choices, E experts.
size_t moe_route_workspace(int64_t N, int64_t E, int64_t k);
void moe_route(float* logits_to_probs, float* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
               int32_t* workspace, int64_t N, int64_t E, int64_t k, int64_t capacity);
void moe_route_backward(float* dlogits, const float* dprobs, const float* probs, const float* lse,
                        const int64_t* load, int64_t N, int64_t E, int64_t k, double aux_scale, double z_scale);

void moe_permute(float* send, int32_t* position, const float* x, const int32_t* expert, const int32_t* slot,
                 const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d);
void gather_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width);
void scatter_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width);
void moe_combine(float* out, const float* rows, const float* probs, const int32_t* expert, const int32_t* position,
                 int64_t N, int64_t E, int64_t k, int64_t d, bool accumulate);
void moe_combine_backward(float* drows, float* dprobs, const float* dout, const float* rows, const float* probs,
                          const int32_t* expert, const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d);

}  // namespace moelaw::cuda::kernels
