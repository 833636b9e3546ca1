// Rotary position embeddings, "rotate half" pairing (i with i + D/2), as in GPT-NeoX and Llama.
#include <cmath>
#include <vector>

#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/ops.hpp"
#include "backend/cpu/parallel.hpp"

namespace moelaw::backend::cpu {

namespace {

// cos and sin of pos·theta^(−2i/D) for every position and pair, computed in double once per call.
struct RotaryTable {
  std::vector<double> cos, sin;
  RotaryTable(int64_t T_, int64_t D, double theta) : cos(T_ * (D / 2)), sin(T_ * (D / 2)) {
    const int64_t half = D / 2;
    for (int64_t t = 0; t < T_; ++t)
      for (int64_t i = 0; i < half; ++i) {
        const double angle = double(t) * std::pow(theta, -2.0 * double(i) / double(D));
        cos[t * half + i] = std::cos(angle);
        sin[t * half + i] = std::sin(angle);
      }
  }
};

// out = R(sign·angle)·in, added into out when accumulate is set.
template <typename T>
void rotate(T* out, const T* in, int64_t B, int64_t T_, int64_t H, int64_t D, double theta,
            double sign, bool accumulate) {
  const RotaryTable table(T_, D, theta);
  const int64_t half = D / 2;
#pragma omp parallel for collapse(2) schedule(static) if (B * T_ * H * D >= kMinParallelWork)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T_; ++t)
      for (int64_t h = 0; h < H; ++h) {
        const int64_t base = ((b * T_ + t) * H + h) * D;
        for (int64_t i = 0; i < half; ++i) {
          const T c = T(table.cos[t * half + i]), s = T(sign * table.sin[t * half + i]);
          const T x1 = in[base + i], x2 = in[base + i + half];
          const T y1 = x1 * c - x2 * s, y2 = x2 * c + x1 * s;
          if (accumulate) {
            out[base + i] += y1;
            out[base + i + half] += y2;
          } else {
            out[base + i] = y1;
            out[base + i + half] = y2;
          }
        }
      }
}

}  // namespace

template <typename T>
void rope_forward(T* out, const T* in, int64_t B, int64_t T_, int64_t H, int64_t D, double theta) {
  rotate(out, in, B, T_, H, D, theta, +1.0, false);
}

template <typename T>
void rope_backward(T* din, const T* dout, int64_t B, int64_t T_, int64_t H, int64_t D,
                   double theta) {
  rotate(din, dout, B, T_, H, D, theta, -1.0, true);
}

#define INSTANTIATE(T)                                                                         \
  template void rope_forward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, double); \
  template void rope_backward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, double);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
