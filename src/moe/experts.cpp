#include "moe/experts.hpp"

namespace moelaw::moe {

using backend::Acc;
using backend::In;
using backend::Out;

template <typename T>
GroupedSwiglu<T>::GroupedSwiglu(backend::Backend<T>& backend, int64_t d_model, int64_t hidden,
                                std::shared_ptr<SwigluScratch<T>> scratch)
    : be_(backend), d_(d_model), hidden_(hidden),
      scratch_(scratch ? std::move(scratch) : std::make_shared<SwigluScratch<T>>()) {}

// Group g's [OC, C] weight is w + g·OC·C. The qualified call (no virtual dispatch) is the seam's
// per-group loop of matmuls, for measuring it against the backend's grouped products.
template <typename T>
void GroupedSwiglu<T>::product(Out out, In in, const T* w, int64_t C, int64_t OC) {
  const auto groups = int64_t(rows_.size());
  if (group_loop_)
    be_.backend::Backend<T>::grouped_matmul_forward(out, in, w, rows_.data(), groups, C, OC, OC * C);
  else
    be_.grouped_matmul_forward(out, in, w, rows_.data(), groups, C, OC, OC * C);
}

template <typename T>
void GroupedSwiglu<T>::product_backward(Acc din, T* dw, In dout, In in, const T* w, int64_t C, int64_t OC) {
  const auto groups = int64_t(rows_.size());
  if (group_loop_)
    be_.backend::Backend<T>::grouped_matmul_backward(din, dw, dout, in, w, rows_.data(), groups, C, OC, OC * C);
  else
    be_.grouped_matmul_backward(din, dw, dout, in, w, rows_.data(), groups, C, OC, OC * C);
}

template <typename T>
void GroupedSwiglu<T>::forward(Out out, In x, const SwigluWeights<T>& w, const int64_t* rows, int64_t groups) {
  rows_.assign(rows, rows + groups);
  M_ = 0;
  for (int64_t r : rows_) M_ += r;
  x_ = x;
  const int64_t H = hidden_, d = d_, n = M_ * H;
  T* gate = gate_.grow(be_, size_t(n));
  T* up = up_.grow(be_, size_t(n));
  h_.grow(be_, be_.activation_type(), size_t(n));
  product(gate, x, w.w_gate, d, H);
  product(up, x, w.w_up, d, H);
  be_.swiglu_forward(h_.out(), gate, up, M_, H);
  product(out, h_.in(), w.w_down, H, d);
}

template <typename T>
void GroupedSwiglu<T>::backward(Acc dx, const SwigluWeights<T>& dw, In dout, const SwigluWeights<T>& w) {
  const int64_t H = hidden_, d = d_, n = M_ * H;
  auto& s = *scratch_;
  T* dh = s.dh.grow(be_, size_t(n));
  T* dgate = s.dgate.grow(be_, size_t(n));
  T* dup = s.dup.grow(be_, size_t(n));
  for (T* g : {dh, dgate, dup}) be_.zero_bytes(g, size_t(n) * sizeof(T));
  product_backward(dh, dw.w_down, dout, h_.in(), w.w_down, H, d);
  be_.swiglu_backward(dgate, dup, dh, gate_.data(), up_.data(), M_, H);
  // dx gets the gate's contribution, then the up projection's.
  product_backward(dx, dw.w_gate, dgate, x_, w.w_gate, d, H);
  product_backward(dx, dw.w_up, dup, x_, w.w_up, d, H);
}

template class GroupedSwiglu<float>;
template class GroupedSwiglu<double>;

}  // namespace moelaw::moe
