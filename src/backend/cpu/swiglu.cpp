// SwiGLU gate: silu(a)·u with silu(a) = a·σ(a).
#include <cmath>

#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/ops.hpp"
#include "backend/cpu/parallel.hpp"

namespace moelaw::backend::cpu {

template <typename T>
void swiglu_forward(T* out, const T* gate, const T* up, int64_t N, int64_t F) {
  const int64_t n = N * F;
#pragma omp parallel for schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    const T a = gate[i];
    out[i] = a / (T(1) + std::exp(-a)) * up[i];
  }
}

template <typename T>
void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t N,
                     int64_t F) {
  // silu'(a) = σ(a)·(1 + a·(1 − σ(a)))
  const int64_t n = N * F;
#pragma omp parallel for schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    const T a = gate[i];
    const T sig = T(1) / (T(1) + std::exp(-a));
    dgate[i] += dout[i] * up[i] * sig * (T(1) + a * (T(1) - sig));
    dup[i] += dout[i] * a * sig;
  }
}

template <typename T>
void add_forward(T* out, const T* a, const T* b, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

#define INSTANTIATE(T)                                                                          \
  template void swiglu_forward<T>(T*, const T*, const T*, int64_t, int64_t);                   \
  template void swiglu_backward<T>(T*, T*, const T*, const T*, const T*, int64_t, int64_t); \
  template void add_forward<T>(T*, const T*, const T*, int64_t);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
