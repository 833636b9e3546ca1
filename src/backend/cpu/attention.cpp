// Causal multi-head attention on [B,T,H,D] tensors. The softmax runs in T (fp32 or wider), never
// in a reduced precision, as DESIGN.md asks.
#include <cmath>
#include <vector>

#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/ops.hpp"
#include "backend/cpu/parallel.hpp"

namespace moelaw::backend::cpu {

template <typename T>
void attention_forward(T* out, T* probs, const T* q, const T* k, const T* v, int64_t B, int64_t T_,
                       int64_t H, int64_t D) {
  const int64_t C = H * D;
  const T scale = T(1.0 / std::sqrt(double(D)));
#pragma omp parallel for collapse(3) schedule(static) if (B * H * T_ * T_ * D >= kMinParallelWork)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T_; ++t) {
        const T* qt = q + (b * T_ + t) * C + h * D;
        T* p = probs + ((b * H + h) * T_ + t) * T_;
        T max_score = -INFINITY;
        for (int64_t s = 0; s <= t; ++s) {
          const T* ks = k + (b * T_ + s) * C + h * D;
          T dot = 0;
          for (int64_t i = 0; i < D; ++i) dot += qt[i] * ks[i];
          p[s] = dot * scale;
          if (p[s] > max_score) max_score = p[s];
        }
        T denom = 0;
        for (int64_t s = 0; s <= t; ++s) {
          p[s] = std::exp(p[s] - max_score);
          denom += p[s];
        }
        const T inv = T(1) / denom;
        for (int64_t s = 0; s <= t; ++s) p[s] *= inv;
        for (int64_t s = t + 1; s < T_; ++s) p[s] = 0;
        T* ot = out + (b * T_ + t) * C + h * D;
        for (int64_t i = 0; i < D; ++i) ot[i] = 0;
        for (int64_t s = 0; s <= t; ++s) {
          const T* vs = v + (b * T_ + s) * C + h * D;
          for (int64_t i = 0; i < D; ++i) ot[i] += p[s] * vs[i];
        }
      }
}

template <typename T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* probs, const T* q, const T* k,
                        const T* v, int64_t B, int64_t T_, int64_t H, int64_t D) {
  const int64_t C = H * D;
  const T scale = T(1.0 / std::sqrt(double(D)));
  // One (sequence, head) per thread: dk and dv rows receive from every later query, so queries
  // of the same head must not run concurrently.
#pragma omp parallel for collapse(2) schedule(static) if (B * H * T_ * T_ * D >= kMinParallelWork)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      std::vector<T> dscore(T_);
      for (int64_t t = 0; t < T_; ++t) {
        const T* p = probs + ((b * H + h) * T_ + t) * T_;
        const T* dot_ = dout + (b * T_ + t) * C + h * D;
        // dP_s = dout_t·v_s ; dS_s = P_s·(dP_s − Σ_r P_r·dP_r)
        T weighted = 0;
        for (int64_t s = 0; s <= t; ++s) {
          const T* vs = v + (b * T_ + s) * C + h * D;
          T dp = 0;
          for (int64_t i = 0; i < D; ++i) dp += dot_[i] * vs[i];
          dscore[s] = dp;
          weighted += p[s] * dp;
        }
        const T* qt = q + (b * T_ + t) * C + h * D;
        T* dqt = dq + (b * T_ + t) * C + h * D;
        for (int64_t s = 0; s <= t; ++s) {
          const T ds = p[s] * (dscore[s] - weighted) * scale;
          const T* ks = k + (b * T_ + s) * C + h * D;
          T* dks = dk + (b * T_ + s) * C + h * D;
          T* dvs = dv + (b * T_ + s) * C + h * D;
          for (int64_t i = 0; i < D; ++i) {
            dqt[i] += ds * ks[i];
            dks[i] += ds * qt[i];
            dvs[i] += p[s] * dot_[i];
          }
        }
      }
    }
}

#define INSTANTIATE(T)                                                                          \
  template void attention_forward<T>(T*, T*, const T*, const T*, const T*, int64_t, int64_t,   \
                                     int64_t, int64_t);                                         \
  template void attention_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*,      \
                                      const T*, int64_t, int64_t, int64_t, int64_t);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
