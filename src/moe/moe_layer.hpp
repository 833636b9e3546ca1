#pragma once
// A Mixture-of-Experts feed-forward layer, split as Megatron-Core splits it: the router
// (moe/router.hpp) chooses experts, the token dispatcher (moe/token_dispatcher.hpp) moves token
// rows to the rank holding each expert and back, and the experts (SwiGLU feed-forwards of hidden
// size 3·d_model/G) run on the rows they receive, through the backend's operations.
// The routing and permutation loops work on host memory: this layer runs on the CPU backend.
#include <cstdint>
#include <vector>

#include "backend/backend.hpp"
#include "moe/router.hpp"
#include "moe/token_dispatcher.hpp"

namespace moelaw::moe {

// One block's expert weights: router [E, d]; w_gate, w_up [E, H, d]; w_down [E, d, H].
template <typename T>
struct ExpertWeights {
  T *router, *w_gate, *w_up, *w_down;
};

struct MoeSettings {
  int64_t d_model, hidden, experts, choices;  // experts and choices count the split experts (E·G, k·G)
  double capacity_factor, aux_loss_weight, z_loss_weight;
};

template <typename T>
class MoeLayer {
 public:
  MoeLayer(backend::Backend<T>& backend, MoeSettings settings, parallel::Communicator* expert_group);

  // out [N, d] = Σ over each token's kept choices of p · expert(x). Training applies the
  // capacity; evaluation is dropless. Keeps what backward() needs (x must stay valid).
  void forward(const T* x, T* out, const ExpertWeights<T>& w, int64_t N, bool training);
  // Adds d/dx into dx and the weight gradients into dw, for the loss
  // loss_scale · (Σ of the output's contributions) + the auxiliary losses weighted by N · loss_scale.
  void backward(const T* dout, T* dx, const ExpertWeights<T>& w, const ExpertWeights<T>& dw, double loss_scale);

  const Routing<T>& routing() const { return routing_; }
  const MoeSettings& settings() const { return s_; }
  double exchange_seconds() const { return dispatcher_.exchange_seconds(); }

 private:
  void gather_by_expert(const std::vector<T>& received, std::vector<T>& by_expert) const;
  void scatter_from_expert(const std::vector<T>& by_expert, std::vector<T>& received, int64_t width) const;

  backend::Backend<T>& be_;
  MoeSettings s_;
  TokenDispatcher dispatcher_;
  Routing<T> routing_;
  const T* x_ = nullptr;
  std::vector<int64_t> send_position_;  // [N, k] row of each kept choice in the send buffer, -1 if dropped
  std::vector<int64_t> expert_rows_;    // rows per local expert
  std::vector<int64_t> order_;          // expert-major row i <- received row order_[i]
  std::vector<T> y_sent_;               // expert outputs back at the sender, in send order
  std::vector<T> xs_, gate_, up_, h_;   // expert-major activations of the received rows
};

}  // namespace moelaw::moe
