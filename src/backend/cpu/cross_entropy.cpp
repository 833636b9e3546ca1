// Softmax cross-entropy, in place on the [N,V] logits buffer.
#include <cmath>

#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/ops.hpp"
#include "backend/cpu/parallel.hpp"

namespace moelaw::backend::cpu {

template <typename T>
void cross_entropy_forward(T* losses, T* logits_to_probs, const int32_t* targets, int64_t N,
                           int64_t V) {
#pragma omp parallel for schedule(static) if (N * V >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n) {
    T* row = logits_to_probs + n * V;
    T max_logit = row[0];
    for (int64_t j = 1; j < V; ++j)
      if (row[j] > max_logit) max_logit = row[j];
    const int32_t target = targets[n];
    const double target_logit = target < 0 ? 0.0 : double(row[target] - max_logit);
    // One exp per entry (this loop dominates small models with V = 50,257); the normaliser of
    // 50K terms is summed in double so fp32 rows lose nothing to it.
    double denom = 0;
    for (int64_t j = 0; j < V; ++j) {
      row[j] = std::exp(row[j] - max_logit);
      denom += double(row[j]);
    }
    losses[n] = target < 0 ? T(0) : T(std::log(denom) - target_logit);
    const T inv = T(1.0 / denom);
    for (int64_t j = 0; j < V; ++j) row[j] *= inv;
  }
}

template <typename T>
void cross_entropy_backward(T* probs_to_dlogits, const int32_t* targets, double scale, int64_t N,
                            int64_t V) {
  const T s = T(scale);
#pragma omp parallel for schedule(static) if (N * V >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n) {
    T* row = probs_to_dlogits + n * V;
    const int32_t target = targets[n];
    if (target < 0) {
      for (int64_t j = 0; j < V; ++j) row[j] = 0;
      continue;
    }
    for (int64_t j = 0; j < V; ++j) row[j] *= s;
    row[target] -= s;
  }
}

#define INSTANTIATE(T)                                                                    \
  template void cross_entropy_forward<T>(T*, T*, const int32_t*, int64_t, int64_t);      \
  template void cross_entropy_backward<T>(T*, const int32_t*, double, int64_t, int64_t);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
