#include "moe/router.hpp"

#include <cmath>

namespace moelaw::moe {

int64_t expert_capacity(double factor, int64_t tokens, int64_t choices, int64_t experts) {
  if (factor <= 0) return -1;
  return static_cast<int64_t>(std::ceil(factor * static_cast<double>(tokens * choices) / static_cast<double>(experts)));
}

template <typename T>
void route(backend::Backend<T>& be, const T* x, const T* w, int64_t N, int64_t d, int64_t E, int64_t k,
           int64_t capacity, RouterBuffers<T>& b, Routing& r) {
  r.tokens = N;
  r.experts = E;
  r.choices = k;
  r.capacity = capacity;
  T* probs = b.probs.grow(be, size_t(N * E));
  be.matmul_forward(probs, x, w, N, d, E);  // logits, made probabilities in place
  be.moe_route(probs, b.lse.grow(be, size_t(N)), b.expert.grow(be, size_t(N * k)), b.slot.grow(be, size_t(N * k)),
               b.counts.grow(be, size_t(2 * E)), b.sums.grow(be, size_t(E + 1)), N, E, k, capacity);
  // The only values that come back to the host: per-expert counts and the loss sums.
  std::vector<int64_t> counts(size_t(2 * E));
  std::vector<double> sums(size_t(E + 1));
  b.counts.download(counts.data(), counts.size());
  b.sums.download(sums.data(), sums.size());
  r.load.assign(counts.begin(), counts.begin() + E);
  r.kept.assign(counts.begin() + E, counts.end());
  r.dropped = 0;
  double aux = 0;
  for (int64_t e = 0; e < E; ++e) {
    r.dropped += r.load[e] - r.kept[e];
    aux += static_cast<double>(r.load[e]) / static_cast<double>(N * k) * (sums[e] / static_cast<double>(N));
  }
  r.aux_loss = static_cast<double>(E) * aux;
  r.z_loss = sums[E] / static_cast<double>(N);
}

template <typename T>
void route_backward(backend::Backend<T>& be, const Routing& r, RouterBuffers<T>& b, const T* x, const T* w, int64_t d,
                    double aux_scale, double z_scale, T* dx, T* dw) {
  const int64_t N = r.tokens, E = r.experts, k = r.choices;
  T* dlogits = b.dlogits.grow(be, size_t(N * E));
  be.moe_route_backward(dlogits, b.dprobs.data(), b.probs.data(), b.lse.data(), b.counts.data(), N, E, k, aux_scale,
                        z_scale);
  be.matmul_backward(dx, dw, dlogits, x, w, N, d, E);
}

template void route<float>(backend::Backend<float>&, const float*, const float*, int64_t, int64_t, int64_t, int64_t,
                           int64_t, RouterBuffers<float>&, Routing&);
template void route<double>(backend::Backend<double>&, const double*, const double*, int64_t, int64_t, int64_t,
                            int64_t, int64_t, RouterBuffers<double>&, Routing&);
template void route_backward<float>(backend::Backend<float>&, const Routing&, RouterBuffers<float>&, const float*,
                                    const float*, int64_t, double, double, float*, float*);
template void route_backward<double>(backend::Backend<double>&, const Routing&, RouterBuffers<double>&,
                                     const double*, const double*, int64_t, double, double, double*, double*);

}  // namespace moelaw::moe
