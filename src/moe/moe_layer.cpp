#include "moe/moe_layer.hpp"

#include <algorithm>

namespace moelaw::moe {

template <typename T>
MoeLayer<T>::MoeLayer(backend::Backend<T>& backend, MoeSettings settings, parallel::Communicator* expert_group)
    : be_(backend), s_(settings), dispatcher_(expert_group, settings.experts) {}

template <typename T>
void MoeLayer<T>::gather_by_expert(const std::vector<T>& received, std::vector<T>& by_expert) const {
  const int64_t d = s_.d_model;
  by_expert.resize(order_.size() * static_cast<size_t>(d));
  for (size_t i = 0; i < order_.size(); ++i)
    std::copy_n(&received[order_[i] * d], d, &by_expert[i * d]);
}

template <typename T>
void MoeLayer<T>::scatter_from_expert(const std::vector<T>& by_expert, std::vector<T>& received, int64_t width) const {
  received.assign(order_.size() * static_cast<size_t>(width), T(0));
  for (size_t i = 0; i < order_.size(); ++i)
    std::copy_n(&by_expert[i * width], width, &received[order_[i] * width]);
}

template <typename T>
void MoeLayer<T>::forward(const T* x, T* out, const ExpertWeights<T>& w, int64_t N, bool training) {
  const int64_t d = s_.d_model, H = s_.hidden, E = s_.experts, k = s_.choices;
  x_ = x;
  route(be_, x, w.router, N, d, E, k, training ? expert_capacity(s_.capacity_factor, N, k, E) : -1, routing_);
  auto& r = routing_;

  // Send buffer: rows grouped by expert (so by destination rank), in slot order.
  std::vector<int64_t> offset(static_cast<size_t>(E) + 1, 0);
  for (int64_t e = 0; e < E; ++e) offset[e + 1] = offset[e] + r.kept[e];
  std::vector<T> send(static_cast<size_t>(offset[E] * d));
  send_position_.assign(static_cast<size_t>(N * k), -1);
  for (int64_t i = 0; i < N * k; ++i) {
    if (r.expert[i] < 0) continue;
    int64_t pos = offset[r.expert[i]] + r.slot[i];
    send_position_[i] = pos;
    std::copy_n(x + (i / k) * d, d, &send[pos * d]);
  }
  dispatcher_.plan(r.kept);
  std::vector<T> received = dispatcher_.forward(send, d);

  // Received rows come grouped by source, then local expert: regroup them expert-major.
  const int64_t per = dispatcher_.experts_per_rank(), sources = dispatcher_.ranks();
  const auto& counts = dispatcher_.received_counts();
  expert_rows_.assign(static_cast<size_t>(per), 0);
  std::vector<std::vector<int64_t>> rows_of(static_cast<size_t>(per));
  int64_t at = 0;
  for (int64_t src = 0; src < sources; ++src)
    for (int64_t j = 0; j < per; ++j)
      for (int64_t c = 0; c < counts[src * per + j]; ++c) rows_of[j].push_back(at++);
  order_.clear();
  for (int64_t j = 0; j < per; ++j) {
    expert_rows_[j] = static_cast<int64_t>(rows_of[j].size());
    order_.insert(order_.end(), rows_of[j].begin(), rows_of[j].end());
  }
  gather_by_expert(received, xs_);

  const int64_t M = static_cast<int64_t>(order_.size());
  gate_.assign(static_cast<size_t>(M * H), T(0));
  up_.assign(gate_.size(), T(0));
  h_.assign(gate_.size(), T(0));
  std::vector<T> y(static_cast<size_t>(M * d), T(0));
  int64_t row = 0;
  for (int64_t j = 0; j < per; ++j) {
    const int64_t m = expert_rows_[j], e = dispatcher_.first_local_expert() + j;
    if (m > 0) {
      be_.matmul_forward(&gate_[row * H], &xs_[row * d], w.w_gate + e * H * d, m, d, H);
      be_.matmul_forward(&up_[row * H], &xs_[row * d], w.w_up + e * H * d, m, d, H);
      be_.swiglu_forward(&h_[row * H], &gate_[row * H], &up_[row * H], m, H);
      be_.matmul_forward(&y[row * d], &h_[row * H], w.w_down + e * d * H, m, H, d);
    }
    row += m;
  }
  std::vector<T> back;
  scatter_from_expert(y, back, d);
  y_sent_ = dispatcher_.reverse(back, d);

  // Combine: each token's kept choices, weighted by their router probability, in choice order.
  std::fill(out, out + N * d, T(0));
  for (int64_t i = 0; i < N * k; ++i) {
    const int64_t pos = send_position_[i];
    if (pos < 0) continue;
    const int64_t t = i / k;
    const T p = r.probs[t * E + r.expert[i]];
    const T* yr = &y_sent_[pos * d];
    T* o = out + t * d;
    for (int64_t c = 0; c < d; ++c) o[c] += p * yr[c];
  }
}

template <typename T>
void MoeLayer<T>::backward(const T* dout, T* dx, const ExpertWeights<T>& w, const ExpertWeights<T>& dw,
                           double loss_scale) {
  const int64_t d = s_.d_model, H = s_.hidden, E = s_.experts, k = s_.choices;
  const auto& r = routing_;
  const int64_t N = r.tokens;
  // Through the gates: d/d(expert output) = p · dout; d/dp = dout · expert output.
  std::vector<T> dprobs(static_cast<size_t>(N * E), T(0));
  std::vector<T> dy_send(y_sent_.size(), T(0));
  for (int64_t i = 0; i < N * k; ++i) {
    const int64_t pos = send_position_[i];
    if (pos < 0) continue;
    const int64_t t = i / k, e = r.expert[i];
    const T p = r.probs[t * E + e];
    const T* g = dout + t * d;
    const T* yr = &y_sent_[pos * d];
    double dot = 0;
    for (int64_t c = 0; c < d; ++c) {
      dy_send[pos * d + c] = p * g[c];
      dot += double(g[c]) * double(yr[c]);
    }
    dprobs[t * E + e] += T(dot);
  }
  std::vector<T> dy_by_expert;
  gather_by_expert(dispatcher_.forward(dy_send, d), dy_by_expert);

  const int64_t M = static_cast<int64_t>(order_.size());
  std::vector<T> dh(static_cast<size_t>(M * H), T(0)), dgate(dh.size(), T(0)), dup(dh.size(), T(0));
  std::vector<T> dxs(static_cast<size_t>(M * d), T(0));
  const int64_t per = dispatcher_.experts_per_rank();
  int64_t row = 0;
  for (int64_t j = 0; j < per; ++j) {
    const int64_t m = expert_rows_[j], e = dispatcher_.first_local_expert() + j;
    if (m > 0) {
      be_.matmul_backward(&dh[row * H], dw.w_down + e * d * H, &dy_by_expert[row * d], &h_[row * H],
                          w.w_down + e * d * H, m, H, d);
      be_.swiglu_backward(&dgate[row * H], &dup[row * H], &dh[row * H], &gate_[row * H], &up_[row * H], m, H);
      be_.matmul_backward(&dxs[row * d], dw.w_gate + e * H * d, &dgate[row * H], &xs_[row * d],
                          w.w_gate + e * H * d, m, d, H);
      be_.matmul_backward(&dxs[row * d], dw.w_up + e * H * d, &dup[row * H], &xs_[row * d], w.w_up + e * H * d,
                          m, d, H);
    }
    row += m;
  }
  std::vector<T> dx_received;
  scatter_from_expert(dxs, dx_received, d);
  std::vector<T> dx_send = dispatcher_.reverse(dx_received, d);
  for (int64_t i = 0; i < N * k; ++i) {
    const int64_t pos = send_position_[i];
    if (pos < 0) continue;
    T* o = dx + (i / k) * d;
    for (int64_t c = 0; c < d; ++c) o[c] += dx_send[pos * d + c];
  }
  const double share = static_cast<double>(N) * loss_scale;
  route_backward(be_, r, dprobs, x_, w.router, d, s_.aux_loss_weight * share, s_.z_loss_weight * share, dx, dw.router);
}

template class MoeLayer<float>;
template class MoeLayer<double>;

}  // namespace moelaw::moe
