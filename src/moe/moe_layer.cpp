#include "moe/moe_layer.hpp"

#include <chrono>

namespace moelaw::moe {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

template <typename T>
MoeLayer<T>::MoeLayer(backend::Backend<T>& backend, MoeSettings settings, parallel::DeviceExchange* expert_exchange,
                      std::shared_ptr<SwigluScratch<T>> scratch)
    : be_(backend), s_(settings), dispatcher_(expert_exchange, settings.experts),
      experts_(backend, settings.d_model, settings.hidden, std::move(scratch)) {}

template <typename T>
std::vector<int32_t> MoeLayer<T>::chosen_experts() const {
  std::vector<int32_t> host(size_t(routing_.tokens * routing_.choices));
  router_.expert.download(host.data(), host.size());
  return host;
}

template <typename T>
void MoeLayer<T>::mark(double MoePhaseTimes::*phase) {
  if (!timing_) return;
  be_.synchronize();
  const double now = now_seconds();
  if (phase) times_.*phase += now - clock_;
  clock_ = now;
}

// Received rows come grouped by source, then local expert; the experts want them expert-major.
// With one source (or one local expert) both orders are the same and nothing moves.
template <typename T>
void MoeLayer<T>::plan_regrouping() {
  const int64_t per = dispatcher_.experts_per_rank(), sources = dispatcher_.ranks();
  const auto& counts = dispatcher_.received_counts();
  expert_rows_.assign(size_t(per), 0);
  for (int64_t src = 0; src < sources; ++src)
    for (int64_t j = 0; j < per; ++j) expert_rows_[j] += counts[src * per + j];
  regroup_ = sources > 1 && per > 1;
  if (!regroup_) return;
  std::vector<int64_t> next(size_t(per), 0);  // next expert-major row of each local expert
  for (int64_t j = 1; j < per; ++j) next[j] = next[j - 1] + expert_rows_[j - 1];
  std::vector<int32_t> order(size_t(dispatcher_.received_rows()));
  int32_t at = 0;
  for (int64_t src = 0; src < sources; ++src)
    for (int64_t j = 0; j < per; ++j)
      for (int64_t c = 0; c < counts[src * per + j]; ++c) order[next[j]++] = at++;
  order_.grow(be_, order.size());
  order_.upload(order.data(), order.size());
}

// Received rows to expert-major order (gather) or back (scatter); the rows as they are when
// nothing needs regrouping.
template <typename T>
const T* MoeLayer<T>::regrouped(const T* rows, backend::DeviceArray<T>& buffer, int64_t width, Regroup to) {
  if (!regroup_) return rows;
  const int64_t M = dispatcher_.received_rows();
  T* out = buffer.grow(be_, size_t(M * width));
  if (to == Regroup::expert_major) be_.gather_rows(out, rows, order_.data(), M, width);
  else be_.scatter_rows(out, rows, order_.data(), M, width);
  return out;
}

template <typename T>
void MoeLayer<T>::forward(const T* x, T* out, const ExpertWeights<T>& w, int64_t N, bool training) {
  const int64_t d = s_.d_model, E = s_.experts, k = s_.choices;
  x_ = x;
  mark(nullptr);
  route(be_, x, w.router, N, d, E, k, training ? expert_capacity(s_.capacity_factor, N, k, E) : -1, router_, routing_);
  mark(&MoePhaseTimes::routing);

  // Send buffer: rows grouped by expert (so by destination rank), in slot order.
  int64_t S = 0;
  for (int64_t kept : routing_.kept) S += kept;
  T* send = send_.grow(be_, size_t(S * d));
  be_.moe_permute(send, position_.grow(be_, size_t(N * k)), x, router_.expert.data(), router_.slot.data(),
                  router_.counts.data() + E, N, E, k, d);
  mark(&MoePhaseTimes::permutation);
  dispatcher_.plan(routing_.kept);
  const int64_t M = dispatcher_.received_rows();
  const T* received = dispatcher_.forward(send, recv_.grow(be_, size_t(M * d)), d);
  mark(&MoePhaseTimes::exchange);
  plan_regrouping();
  xs_ = regrouped(received, xs_buf_, d, Regroup::expert_major);
  mark(&MoePhaseTimes::permutation);

  // All local experts at once: one group of expert-major rows per local expert.
  T* y = y_.grow(be_, size_t(M * d));
  experts_.forward(y, xs_, w.experts(), expert_rows_.data(), int64_t(expert_rows_.size()));
  mark(&MoePhaseTimes::experts);
  const T* back = regrouped(y, back_, d, Regroup::receive_order);
  mark(&MoePhaseTimes::permutation);
  ysent_ = dispatcher_.reverse(back, ysent_buf_.grow(be_, size_t(S * d)), d);
  mark(&MoePhaseTimes::exchange);

  // Combine: each token's kept choices, weighted by their router probability, in choice order.
  be_.moe_combine(out, ysent_, router_.probs.data(), router_.expert.data(), position_.data(), N, E, k, d, false);
  mark(&MoePhaseTimes::permutation);
}

template <typename T>
void MoeLayer<T>::backward(const T* dout, T* dx, const ExpertWeights<T>& w, const ExpertWeights<T>& dw,
                           double loss_scale) {
  const int64_t d = s_.d_model, E = s_.experts, k = s_.choices;
  const int64_t N = routing_.tokens, S = dispatcher_.sent_rows(), M = dispatcher_.received_rows();
  mark(nullptr);
  // Through the gates: d/d(expert output) = p · dout; d/dp = dout · expert output.
  T* dprobs = router_.dprobs.grow(be_, size_t(N * E));
  be_.zero_bytes(dprobs, size_t(N * E) * sizeof(T));
  T* dsend = dsend_.grow(be_, size_t(S * d));
  be_.moe_combine_backward(dsend, dprobs, dout, ysent_, router_.probs.data(), router_.expert.data(),
                           position_.data(), N, E, k, d);
  mark(&MoePhaseTimes::permutation);
  const T* dy_received = dispatcher_.forward(dsend, drecv_.grow(be_, size_t(M * d)), d);
  mark(&MoePhaseTimes::exchange);
  const T* dy = regrouped(dy_received, dby_expert_, d, Regroup::expert_major);
  mark(&MoePhaseTimes::permutation);

  T* dxs = dxs_.grow(be_, size_t(M * d));
  be_.zero_bytes(dxs, size_t(M * d) * sizeof(T));
  experts_.backward(dxs, dw.experts(), dy, w.experts());
  mark(&MoePhaseTimes::experts);
  // drecv_ is free again: dy was regrouped out of it, or (one local expert) nothing is regrouped.
  const T* dx_received = regrouped(dxs, drecv_, d, Regroup::receive_order);
  mark(&MoePhaseTimes::permutation);
  const T* dx_sent = dispatcher_.reverse(dx_received, dsend, d);  // dsend's rows already left
  mark(&MoePhaseTimes::exchange);
  be_.moe_combine(dx, dx_sent, nullptr, router_.expert.data(), position_.data(), N, E, k, d, true);
  mark(&MoePhaseTimes::permutation);
  const double share = static_cast<double>(N) * loss_scale;
  route_backward(be_, routing_, router_, x_, w.router, d, s_.aux_loss_weight * share, s_.z_loss_weight * share, dx,
                 dw.router);
  mark(&MoePhaseTimes::routing);
}

template class MoeLayer<float>;
template class MoeLayer<double>;

}  // namespace moelaw::moe
