#include "moe/router.hpp"

#include <algorithm>
#include <cmath>

namespace moelaw::moe {

int64_t expert_capacity(double factor, int64_t tokens, int64_t choices, int64_t experts) {
  if (factor <= 0) return -1;
  return static_cast<int64_t>(std::ceil(factor * static_cast<double>(tokens * choices) / static_cast<double>(experts)));
}

template <typename T>
void route(backend::Backend<T>& be, const T* x, const T* w, int64_t N, int64_t d, int64_t E, int64_t k,
           int64_t capacity, Routing<T>& r) {
  r.tokens = N;
  r.experts = E;
  r.choices = k;
  r.capacity = capacity;
  r.probs.assign(static_cast<size_t>(N * E), T(0));
  r.lse.assign(static_cast<size_t>(N), T(0));
  be.matmul_forward(r.probs.data(), x, w, N, d, E);  // logits, made probabilities in place
  r.expert.assign(static_cast<size_t>(N * k), -1);
  r.slot.assign(static_cast<size_t>(N * k), -1);
  r.load.assign(static_cast<size_t>(E), 0);
  r.kept.assign(static_cast<size_t>(E), 0);
  r.dropped = 0;
  double z = 0;
  std::vector<int32_t> order(static_cast<size_t>(E));
  for (int64_t t = 0; t < N; ++t) {
    T* p = &r.probs[t * E];
    double mx = p[0];
    for (int64_t e = 1; e < E; ++e) mx = std::max(mx, double(p[e]));
    double sum = 0;
    for (int64_t e = 0; e < E; ++e) sum += std::exp(double(p[e]) - mx);
    double lse = mx + std::log(sum);
    r.lse[t] = T(lse);
    z += lse * lse;
    for (int64_t e = 0; e < E; ++e) p[e] = T(std::exp(double(p[e]) - lse));
    // Top-k by probability; ties go to the lower expert index.
    for (int64_t e = 0; e < E; ++e) order[e] = static_cast<int32_t>(e);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int32_t a, int32_t b) { return p[a] != p[b] ? p[a] > p[b] : a < b; });
    for (int64_t j = 0; j < k; ++j) {
      r.expert[t * k + j] = order[j];
      ++r.load[order[j]];
    }
  }
  // Capacity: choice rank first, then token position.
  for (int64_t j = 0; j < k; ++j)
    for (int64_t t = 0; t < N; ++t) {
      int32_t& e = r.expert[t * k + j];
      if (capacity >= 0 && r.kept[e] >= capacity) {
        e = -1;
        ++r.dropped;
        continue;
      }
      r.slot[t * k + j] = static_cast<int32_t>(r.kept[e]++);
    }
  double aux = 0;
  for (int64_t e = 0; e < E; ++e) {
    double mean_p = 0;
    for (int64_t t = 0; t < N; ++t) mean_p += r.probs[t * E + e];
    aux += static_cast<double>(r.load[e]) / static_cast<double>(N * k) * (mean_p / static_cast<double>(N));
  }
  r.aux_loss = static_cast<double>(E) * aux;
  r.z_loss = z / static_cast<double>(N);
}

template <typename T>
void route_backward(backend::Backend<T>& be, const Routing<T>& r, std::vector<T>& dprobs, const T* x, const T* w,
                    int64_t d, double aux_scale, double z_scale, T* dx, T* dw) {
  const int64_t N = r.tokens, E = r.experts, k = r.choices;
  // d aux / d probs[t, e] = E · f_e / N (f_e is a count, not differentiable).
  for (int64_t t = 0; t < N; ++t)
    for (int64_t e = 0; e < E; ++e)
      dprobs[t * E + e] += T(aux_scale * static_cast<double>(E) * static_cast<double>(r.load[e]) /
                             static_cast<double>(N * k) / static_cast<double>(N));
  // Softmax backward to logits, plus the z-loss: d(lse²)/dlogit = 2·lse·p, averaged over N.
  std::vector<T> dlogits(static_cast<size_t>(N * E));
  for (int64_t t = 0; t < N; ++t) {
    const T* p = &r.probs[t * E];
    const T* g = &dprobs[t * E];
    double dot = 0;
    for (int64_t e = 0; e < E; ++e) dot += double(g[e]) * double(p[e]);
    const double zc = z_scale * 2.0 * double(r.lse[t]) / static_cast<double>(N);
    for (int64_t e = 0; e < E; ++e) dlogits[t * E + e] = T(double(p[e]) * (double(g[e]) - dot) + zc * double(p[e]));
  }
  be.matmul_backward(dx, dw, dlogits.data(), x, w, N, d, E);
}

template void route<float>(backend::Backend<float>&, const float*, const float*, int64_t, int64_t, int64_t, int64_t,
                           int64_t, Routing<float>&);
template void route<double>(backend::Backend<double>&, const double*, const double*, int64_t, int64_t, int64_t,
                            int64_t, int64_t, Routing<double>&);
template void route_backward<float>(backend::Backend<float>&, const Routing<float>&, std::vector<float>&, const float*,
                                    const float*, int64_t, double, double, float*, float*);
template void route_backward<double>(backend::Backend<double>&, const Routing<double>&, std::vector<double>&,
                                     const double*, const double*, int64_t, double, double, double*, double*);

}  // namespace moelaw::moe
