// AdamW and the reductions around it (gradient norm, loss sums, scaling).
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/ops.hpp"
#include "backend/cpu/parallel.hpp"

namespace moelaw::backend::cpu {

namespace {

// Sums f(x[i]) in fixed chunks, chunks added in order: the result does not depend on the number
// of threads, so runs are reproducible across machines with different core counts.
template <typename T, typename F>
double chunked_sum(const T* x, int64_t n, F f) {
  constexpr int64_t kChunk = 4096;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(chunks);
#pragma omp parallel for schedule(static) if (n >= kMinParallelWork)
  for (int64_t c = 0; c < chunks; ++c) {
    double acc = 0;
    const int64_t end = std::min(n, (c + 1) * kChunk);
    for (int64_t i = c * kChunk; i < end; ++i) acc += f(double(x[i]));
    partial[c] = acc;
  }
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace

template <typename T>
void adamw_update(T* params, const T* grads, T* m, T* v, int64_t n, const AdamWHyper& h) {
  const double bias1 = 1.0 - std::pow(h.beta1, double(h.step));
  const double bias2 = 1.0 - std::pow(h.beta2, double(h.step));
#pragma omp parallel for schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    const double g = grads[i];
    const double mi = h.beta1 * double(m[i]) + (1.0 - h.beta1) * g;
    const double vi = h.beta2 * double(v[i]) + (1.0 - h.beta2) * g * g;
    m[i] = T(mi);
    v[i] = T(vi);
    const double update = (mi / bias1) / (std::sqrt(vi / bias2) + h.eps) + h.weight_decay * double(params[i]);
    params[i] = T(double(params[i]) - h.lr * update);
  }
}

template <typename T>
double sum_squares(const T* x, int64_t n) {
  return chunked_sum(x, n, [](double a) { return a * a; });
}

template <typename T>
double sum(const T* x, int64_t n) {
  return chunked_sum(x, n, [](double a) { return a; });
}

template <typename T>
void scale(T* x, int64_t n, double s) {
#pragma omp parallel for schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) x[i] = T(double(x[i]) * s);
}

#define INSTANTIATE(T)                                                                 \
  template void adamw_update<T>(T*, const T*, T*, T*, int64_t, const AdamWHyper&);   \
  template double sum_squares<T>(const T*, int64_t);                                  \
  template double sum<T>(const T*, int64_t);                                          \
  template void scale<T>(T*, int64_t, double);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
