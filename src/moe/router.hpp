#pragma once
// The MoE router: a linear layer in fp32 (at least), softmax over the experts, top-k choice, and
// the capacity rule of Switch Transformer: choices are served in order of choice rank, then of
// token position, and a choice that finds its expert full is dropped (the token then skips that
// expert through the residual connection). Evaluation is dropless.
// Auxiliary losses: Switch's load balancing, E·Σ_e f_e·P_e (f_e: share of choices sent to e,
// P_e: mean router probability of e), and the z-loss, mean over tokens of logsumexp(logits)².
#include <cstdint>
#include <vector>

#include "backend/backend.hpp"

namespace moelaw::moe {

template <typename T>
struct Routing {
  int64_t tokens = 0, experts = 0, choices = 0;  // N, E (all experts), k (choices per token)
  int64_t capacity = 0;                          // per expert; -1: dropless
  std::vector<T> probs;            // [N, E] softmax of the logits
  std::vector<T> lse;              // [N] logsumexp of the logits
  std::vector<int32_t> expert;     // [N, k] the chosen expert of each choice, -1 when dropped
  std::vector<int32_t> slot;       // [N, k] the choice's position among its expert's tokens
  std::vector<int64_t> load;       // [E] choices sent to each expert before capacity
  std::vector<int64_t> kept;       // [E] choices each expert serves (min(load, capacity))
  int64_t dropped = 0;
  double aux_loss = 0, z_loss = 0;
};

// Capacity per expert for N tokens: ceil(factor · N · k / E); dropless when factor <= 0.
int64_t expert_capacity(double factor, int64_t tokens, int64_t choices, int64_t experts);

// logits = x · Wᵀ for x [N, d], W [E, d]; then softmax, top-k and capacity.
template <typename T>
void route(backend::Backend<T>& be, const T* x, const T* w, int64_t N, int64_t d, int64_t E, int64_t k,
           int64_t capacity, Routing<T>& r);

// Backward of the router given d(loss)/d(probs) from the gated outputs (dprobs [N, E], zero
// where nothing was used); adds the auxiliary losses' gradients with weights aux_scale and
// z_scale (loss weight times this micro-batch's share of the batch), then accumulates dW and dx.
template <typename T>
void route_backward(backend::Backend<T>& be, const Routing<T>& r, std::vector<T>& dprobs, const T* x, const T* w,
                    int64_t d, double aux_scale, double z_scale, T* dx, T* dw);

}  // namespace moelaw::moe
