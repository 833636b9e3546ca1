#pragma once
// The MoE router: a linear layer in fp32 (at least), softmax over the experts, top-k choice, and
// the capacity rule of Switch Transformer: choices are served in order of choice rank, then of
// token position, and a choice that finds its expert full is dropped (the token then skips that
// expert through the residual connection). Evaluation is dropless.
// Auxiliary losses: Switch's load balancing, E·Σ_e f_e·P_e (f_e: share of choices sent to e,
// P_e: mean router probability of e), and the z-loss, mean over tokens of logsumexp(logits)².
// The per-token decisions stay in the backend's memory (RouterBuffers); only the per-expert
// counts and the two loss sums come back to the host (Routing).
#include <cstdint>
#include <vector>

#include "backend/backend.hpp"

namespace moelaw::moe {

// What the host knows of one routing: per-expert counts and the auxiliary losses.
struct Routing {
  int64_t tokens = 0, experts = 0, choices = 0;  // N, E (all experts), k (choices per token)
  int64_t capacity = 0;                          // per expert; -1: dropless
  std::vector<int64_t> load;                     // [E] choices sent to each expert before capacity
  std::vector<int64_t> kept;                     // [E] choices each expert serves (min(load, capacity))
  int64_t dropped = 0;
  double aux_loss = 0, z_loss = 0;
};

// The router's per-token state in the backend's memory, sized for the last routing.
template <typename T>
struct RouterBuffers {
  backend::DeviceArray<T> probs, lse;             // [N, E] softmax of the logits, [N] their logsumexp
  backend::DeviceArray<int32_t> expert, slot;     // [N, k] chosen expert (-1 dropped), place in its queue
  backend::DeviceArray<int64_t> counts;           // [2E] load, then kept
  backend::DeviceArray<double> sums;              // [E + 1] Σ_t probs per expert, Σ_t lse²
  backend::DeviceArray<T> dprobs, dlogits;        // [N, E] backward
};

// Capacity per expert for N tokens: ceil(factor · N · k / E); dropless when factor <= 0.
int64_t expert_capacity(double factor, int64_t tokens, int64_t choices, int64_t experts);

// logits = x · Wᵀ for x [N, d], W [E, d]; then softmax, top-k and capacity (backend::moe_route).
template <typename T>
void route(backend::Backend<T>& be, const T* x, const T* w, int64_t N, int64_t d, int64_t E, int64_t k,
           int64_t capacity, RouterBuffers<T>& buffers, Routing& r);

// Backward of the router given d(loss)/d(probs) from the gated outputs (buffers.dprobs [N, E],
// zero where nothing was used); adds the auxiliary losses' gradients with weights aux_scale and
// z_scale (loss weight times this micro-batch's share of the batch), then accumulates dW and dx.
template <typename T>
void route_backward(backend::Backend<T>& be, const Routing& r, RouterBuffers<T>& buffers, const T* x, const T* w,
                    int64_t d, double aux_scale, double z_scale, T* dx, T* dw);

}  // namespace moelaw::moe
