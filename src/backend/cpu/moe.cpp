// CPU reference of the MoE operations: the loops the MoE layer ran on host vectors before it
// moved onto the seam, unchanged, so CPU results stay bit for bit what they were.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/moe_ops.hpp"

namespace moelaw::backend::cpu {

template <typename T>
void moe_route(T* probs, T* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums, int64_t N, int64_t E,
               int64_t k, int64_t capacity) {
  int64_t* load = counts;
  int64_t* kept = counts + E;
  std::fill(counts, counts + 2 * E, int64_t{0});
  std::fill(expert, expert + N * k, -1);
  std::fill(slot, slot + N * k, -1);
  double z = 0;
  std::vector<int32_t> order(static_cast<size_t>(E));
  for (int64_t t = 0; t < N; ++t) {
    T* p = probs + t * E;
    double mx = p[0];
    for (int64_t e = 1; e < E; ++e) mx = std::max(mx, double(p[e]));
    double sum = 0;
    for (int64_t e = 0; e < E; ++e) sum += std::exp(double(p[e]) - mx);
    const double l = mx + std::log(sum);
    lse[t] = T(l);
    z += l * l;
    for (int64_t e = 0; e < E; ++e) p[e] = T(std::exp(double(p[e]) - l));
    for (int64_t e = 0; e < E; ++e) order[e] = static_cast<int32_t>(e);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int32_t a, int32_t b) { return p[a] != p[b] ? p[a] > p[b] : a < b; });
    for (int64_t j = 0; j < k; ++j) {
      expert[t * k + j] = order[j];
      ++load[order[j]];
    }
  }
  for (int64_t j = 0; j < k; ++j)
    for (int64_t t = 0; t < N; ++t) {
      int32_t& e = expert[t * k + j];
      if (capacity >= 0 && kept[e] >= capacity) {
        e = -1;
        continue;
      }
      slot[t * k + j] = static_cast<int32_t>(kept[e]++);
    }
  for (int64_t e = 0; e < E; ++e) {
    double s = 0;
    for (int64_t t = 0; t < N; ++t) s += probs[t * E + e];
    sums[e] = s;
  }
  sums[E] = z;
}

template <typename T>
void moe_route_backward(T* dlogits, const T* dprobs, const T* probs, const T* lse, const int64_t* load, int64_t N,
                        int64_t E, int64_t k, double aux_scale, double z_scale) {
  // d aux / d probs[t, e] = E · f_e / N (f_e is a count, not differentiable).
  std::vector<T> aux(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; ++e)
    aux[e] = T(aux_scale * static_cast<double>(E) * static_cast<double>(load[e]) / static_cast<double>(N * k) /
               static_cast<double>(N));
  std::vector<T> g(static_cast<size_t>(E));
  for (int64_t t = 0; t < N; ++t) {
    const T* p = probs + t * E;
    for (int64_t e = 0; e < E; ++e) g[e] = dprobs[t * E + e] + aux[e];
    double dot = 0;
    for (int64_t e = 0; e < E; ++e) dot += double(g[e]) * double(p[e]);
    // z-loss: d(lse²)/dlogit = 2·lse·p, averaged over N.
    const double zc = z_scale * 2.0 * double(lse[t]) / static_cast<double>(N);
    for (int64_t e = 0; e < E; ++e) dlogits[t * E + e] = T(double(p[e]) * (double(g[e]) - dot) + zc * double(p[e]));
  }
}

template <typename T>
void moe_permute(T* send, int32_t* position, const T* x, const int32_t* expert, const int32_t* slot,
                 const int64_t* kept, int64_t N, int64_t E, int64_t k, int64_t d) {
  std::vector<int64_t> offset(static_cast<size_t>(E) + 1, 0);
  for (int64_t e = 0; e < E; ++e) offset[e + 1] = offset[e] + kept[e];
  for (int64_t i = 0; i < N * k; ++i) {
    if (expert[i] < 0) {
      position[i] = -1;
      continue;
    }
    const int64_t pos = offset[expert[i]] + slot[i];
    position[i] = static_cast<int32_t>(pos);
    std::copy_n(x + (i / k) * d, d, send + pos * d);
  }
}

template <typename T>
void gather_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width) {
  for (int64_t i = 0; i < rows; ++i) std::copy_n(in + int64_t(index[i]) * width, width, out + i * width);
}

template <typename T>
void scatter_rows(T* out, const T* in, const int32_t* index, int64_t rows, int64_t width) {
  for (int64_t i = 0; i < rows; ++i) std::copy_n(in + i * width, width, out + int64_t(index[i]) * width);
}

template <typename T>
void moe_combine(T* out, const T* rows, const T* probs, const int32_t* expert, const int32_t* position, int64_t N,
                 int64_t E, int64_t k, int64_t d, bool accumulate) {
  if (!accumulate) std::fill(out, out + N * d, T(0));
  for (int64_t i = 0; i < N * k; ++i) {
    const int64_t pos = position[i];
    if (pos < 0) continue;
    const int64_t t = i / k;
    const T* r = rows + pos * d;
    T* o = out + t * d;
    if (probs) {
      const T p = probs[t * E + expert[i]];
      for (int64_t c = 0; c < d; ++c) o[c] += p * r[c];
    } else {
      for (int64_t c = 0; c < d; ++c) o[c] += r[c];
    }
  }
}

template <typename T>
void moe_combine_backward(T* drows, T* dprobs, const T* dout, const T* rows, const T* probs, const int32_t* expert,
                          const int32_t* position, int64_t N, int64_t E, int64_t k, int64_t d) {
  for (int64_t i = 0; i < N * k; ++i) {
    const int64_t pos = position[i];
    if (pos < 0) continue;
    const int64_t t = i / k, e = expert[i];
    const T p = probs[t * E + e];
    const T* g = dout + t * d;
    const T* y = rows + pos * d;
    double dot = 0;
    for (int64_t c = 0; c < d; ++c) {
      drows[pos * d + c] = p * g[c];
      dot += double(g[c]) * double(y[c]);
    }
    dprobs[t * E + e] += T(dot);
  }
}

#define INSTANTIATE(T)                                                                                             \
  template void moe_route<T>(T*, T*, int32_t*, int32_t*, int64_t*, double*, int64_t, int64_t, int64_t, int64_t); \
  template void moe_route_backward<T>(T*, const T*, const T*, const T*, const int64_t*, int64_t, int64_t, int64_t, \
                                      double, double);                                                             \
  template void moe_permute<T>(T*, int32_t*, const T*, const int32_t*, const int32_t*, const int64_t*, int64_t,    \
                               int64_t, int64_t, int64_t);                                                         \
  template void gather_rows<T>(T*, const T*, const int32_t*, int64_t, int64_t);                                    \
  template void scatter_rows<T>(T*, const T*, const int32_t*, int64_t, int64_t);                                   \
  template void moe_combine<T>(T*, const T*, const T*, const int32_t*, const int32_t*, int64_t, int64_t, int64_t,  \
                               int64_t, bool);                                                                     \
  template void moe_combine_backward<T>(T*, T*, const T*, const T*, const T*, const int32_t*, const int32_t*,      \
                                        int64_t, int64_t, int64_t, int64_t);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
