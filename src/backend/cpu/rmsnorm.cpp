// RMSNorm: y = g ⊙ x·r with r = (mean(x²) + eps)^(−1/2).
#include <cmath>

#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/ops.hpp"
#include "backend/cpu/parallel.hpp"

namespace moelaw::backend::cpu {

template <typename T>
void rmsnorm_forward(T* out, T* rstd, const T* in, const T* gain, int64_t N, int64_t C, double eps) {
#pragma omp parallel for schedule(static) if (N * C >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n) {
    const T* x = in + n * C;
    double ss = 0;
    for (int64_t c = 0; c < C; ++c) ss += double(x[c]) * double(x[c]);
    const T r = T(1.0 / std::sqrt(ss / double(C) + eps));
    rstd[n] = r;
    T* y = out + n * C;
    for (int64_t c = 0; c < C; ++c) y[c] = x[c] * r * gain[c];
  }
}

template <typename T>
void rmsnorm_backward(T* din, T* dgain, const T* dout, const T* in, const T* gain, const T* rstd,
                      int64_t N, int64_t C) {
  // dx_j = r·(g_j·dy_j − x̂_j·mean_i(g_i·dy_i·x̂_i)), x̂ = x·r.
#pragma omp parallel for schedule(static) if (N * C >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n) {
    const T* x = in + n * C;
    const T* dy = dout + n * C;
    const T r = rstd[n];
    double dot = 0;
    for (int64_t c = 0; c < C; ++c) dot += double(gain[c]) * double(dy[c]) * double(x[c] * r);
    const T mean_dot = T(dot / double(C));
    T* dx = din + n * C;
    for (int64_t c = 0; c < C; ++c) dx[c] += r * (gain[c] * dy[c] - x[c] * r * mean_dot);
  }
  // The gain's gradient sums over positions: one thread per column keeps it race-free.
#pragma omp parallel for schedule(static) if (N * C >= kMinParallelWork)
  for (int64_t c = 0; c < C; ++c) {
    T acc = 0;
    for (int64_t n = 0; n < N; ++n) acc += dout[n * C + c] * in[n * C + c] * rstd[n];
    dgain[c] += acc;
  }
}

#define INSTANTIATE(T)                                                                            \
  template void rmsnorm_forward<T>(T*, T*, const T*, const T*, int64_t, int64_t, double);        \
  template void rmsnorm_backward<T>(T*, T*, const T*, const T*, const T*, const T*, int64_t, \
                                    int64_t);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
