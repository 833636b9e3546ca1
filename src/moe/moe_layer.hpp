#pragma once
// A Mixture-of-Experts feed-forward layer, split as Megatron-Core splits it: the router
// (moe/router.hpp) chooses experts, the token dispatcher (moe/token_dispatcher.hpp) moves token
// rows to the rank holding each expert and back, and the experts (SwiGLU feed-forwards of hidden
// size 3·d_model/G) run on the rows they receive, through the backend's operations.
// Every buffer lives in the backend's memory, so the same layer runs on the CPU and on a GPU;
// only per-expert counts and the auxiliary losses' sums come back to the host.
#include <cstdint>
#include <vector>

#include "backend/backend.hpp"
#include "moe/experts.hpp"
#include "moe/router.hpp"
#include "moe/token_dispatcher.hpp"

namespace moelaw::moe {

// One block's expert weights: router [E, d] (every expert); w_gate, w_up [E_local, H, d] and
// w_down [E_local, d, H] for this rank's experts only (all E without expert parallelism).
template <typename T>
struct ExpertWeights {
  T *router, *w_gate, *w_up, *w_down;
  SwigluWeights<T> experts() const { return {w_gate, w_up, w_down}; }
};

struct MoeSettings {
  int64_t d_model, hidden, experts, choices;  // experts and choices count the split experts (E·G, k·G)
  double capacity_factor, aux_loss_weight, z_loss_weight;
};

// Seconds per phase, forward and backward together, measured only when enabled (the device is
// synchronised at each phase boundary, which costs overlap: for profiling runs).
struct MoePhaseTimes {
  double routing = 0, permutation = 0, experts = 0, exchange = 0;
};

template <typename T>
class MoeLayer {
 public:
  // expert_exchange: the expert-parallel group's exchange; null = every expert on this rank.
  // scratch: the experts' backward scratch, shared with other layers (null: this layer's own).
  MoeLayer(backend::Backend<T>& backend, MoeSettings settings, parallel::DeviceExchange* expert_exchange,
           std::shared_ptr<SwigluScratch<T>> scratch = nullptr);

  // out [N, d] = Σ over each token's kept choices of p · expert(x). Training applies the
  // capacity; evaluation is dropless. Keeps what backward() needs (x must stay valid).
  void forward(const T* x, T* out, const ExpertWeights<T>& w, int64_t N, bool training);
  // Adds d/dx into dx and the weight gradients into dw, for the loss
  // loss_scale · (Σ of the output's contributions) + the auxiliary losses weighted by N · loss_scale.
  void backward(const T* dout, T* dx, const ExpertWeights<T>& w, const ExpertWeights<T>& dw, double loss_scale);

  const Routing& routing() const { return routing_; }
  // The last forward's chosen expert per choice [N, k] (-1 where dropped), copied to the host.
  std::vector<int32_t> chosen_experts() const;
  const MoeSettings& settings() const { return s_; }
  double exchange_seconds() const { return dispatcher_.exchange_seconds(); }

  void set_phase_timing(bool enabled) { timing_ = enabled; }
  const MoePhaseTimes& phase_times() const { return times_; }
  // Run the experts' products as the seam's default per-expert loop of matmuls, whatever the backend
  // does for grouped products (to measure one against the other).
  void set_expert_loop(bool enabled) { experts_.set_group_loop(enabled); }

 private:
  void plan_regrouping();
  enum class Regroup { expert_major, receive_order };
  const T* regrouped(const T* rows, backend::DeviceArray<T>& buffer, int64_t width, Regroup to);
  void mark(double MoePhaseTimes::*phase);

  backend::Backend<T>& be_;
  MoeSettings s_;
  TokenDispatcher dispatcher_;
  GroupedSwiglu<T> experts_;  // this rank's experts, one group each
  Routing routing_;
  RouterBuffers<T> router_;
  const T* x_ = nullptr;
  backend::DeviceArray<int32_t> position_;  // [N, k] row of each kept choice in the send buffer, -1 if dropped
  std::vector<int64_t> expert_rows_;        // rows per local expert
  bool regroup_ = false;                    // rows from several sources need regrouping by expert
  backend::DeviceArray<int32_t> order_;     // expert-major row i <- received row order_[i]
  // Forward: send (sent rows), recv (arrived rows), xs (expert-major inputs), y (expert outputs),
  // back (outputs in receive order), ysent (outputs back at the sender). xs_/ysent_ point at one
  // of them (no copy on a single rank).
  backend::DeviceArray<T> send_, recv_, xs_buf_, y_, back_, ysent_buf_;
  const T* xs_ = nullptr;
  const T* ysent_ = nullptr;
  // Backward scratch: gradients of sent rows, of arrived rows, of expert-major rows.
  backend::DeviceArray<T> dsend_, drecv_, dby_expert_, dxs_;
  bool timing_ = false;
  MoePhaseTimes times_;
  double clock_ = 0;
};

}  // namespace moelaw::moe
