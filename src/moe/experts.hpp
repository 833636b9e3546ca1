#pragma once
// The experts: a grouped SwiGLU feed-forward. Group g is rows[g] consecutive rows of the input,
// the groups one after the other, and has its own weights:
//   out_g = W_down,g · (silu(W_gate,g · x_g) ⊙ W_up,g · x_g),
// W_gate, W_up [groups, H, d] and W_down [groups, d, H], each group's block H·d values after the
// last. The MoE layer runs its local experts through it on expert-major rows; the dense
// feed-forward is its one-group case. The products go through the backend's grouped matmuls, and
// the SwiGLU output (the down projection's input) is kept in the backend's activation_type().
#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend.hpp"

namespace moelaw::moe {

template <typename T>
struct SwigluWeights {
  T *w_gate, *w_up, *w_down;
};

// The backward's scratch gradients, shared by every block's experts (one block's backward runs
// at a time) so that a deep model does not hold one set per block.
template <typename T>
struct SwigluScratch {
  backend::DeviceArray<T> dh, dgate, dup;
};

template <typename T>
class GroupedSwiglu {
 public:
  GroupedSwiglu(backend::Backend<T>& backend, int64_t d_model, int64_t hidden,
                std::shared_ptr<SwigluScratch<T>> scratch = nullptr);

  // out [M, d] (overwritten) for x [M, d], M = Σ rows[0..groups). rows is a host array, read
  // now; it and x must stay valid until backward(). Keeps what backward() needs.
  void forward(backend::Out out, backend::In x, const SwigluWeights<T>& w, const int64_t* rows, int64_t groups);
  // Adds d/dx into dx [M, d] and the weight gradients into dw, for dout [M, d].
  void backward(backend::Acc dx, const SwigluWeights<T>& dw, backend::In dout, const SwigluWeights<T>& w);

  // Benchmarks: the products as the seam's default per-group loop of matmuls instead of the
  // backend's grouped products.
  void set_group_loop(bool enabled) { group_loop_ = enabled; }

 private:
  void product(backend::Out out, backend::In in, const T* w, int64_t C, int64_t OC);
  void product_backward(backend::Acc din, T* dw, backend::In dout, backend::In in, const T* w, int64_t C, int64_t OC);

  backend::Backend<T>& be_;
  int64_t d_, hidden_;
  std::shared_ptr<SwigluScratch<T>> scratch_;
  std::vector<int64_t> rows_;
  int64_t M_ = 0;
  backend::In x_;
  backend::DeviceArray<T> gate_, up_;
  backend::TensorArray h_;  // silu(gate) ⊙ up, in the backend's activation type
  bool group_loop_ = false;
};

}  // namespace moelaw::moe
