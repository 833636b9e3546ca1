#pragma once
// One SwiGLU expert on one row, in plain loops: the independent reference of the experts' tests.
// Expert e's weights: gate, up [E, H, d] and down [E, d, H], e's block at e·H·d.
#include <cmath>
#include <cstdint>
#include <vector>

namespace moelaw::testing {

inline std::vector<double> swiglu_row(const double* x, const std::vector<double>& gate, const std::vector<double>& up,
                                      const std::vector<double>& down, int64_t e, int64_t d, int64_t H) {
  std::vector<double> h(static_cast<size_t>(H)), y(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < H; ++i) {
    double g = 0, u = 0;
    for (int64_t c = 0; c < d; ++c) {
      g += gate[(e * H + i) * d + c] * x[c];
      u += up[(e * H + i) * d + c] * x[c];
    }
    h[i] = g / (1 + std::exp(-g)) * u;
  }
  for (int64_t c = 0; c < d; ++c)
    for (int64_t i = 0; i < H; ++i) y[c] += down[(e * d + c) * H + i] * h[i];
  return y;
}

}  // namespace moelaw::testing
