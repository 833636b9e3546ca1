#pragma once
// Explicit instantiation of an operation template for the two number types the reference serves:
// float (training) and double (gradient checks).
#define MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE) \
  INSTANTIATE(float)                                    \
  INSTANTIATE(double)

#include <cstdint>

namespace moelaw::backend::cpu {
// Below this many element operations a loop runs on one thread: waking the OpenMP team costs
// more than it saves, and on a loaded machine spinning threads make tiny ops (gradient checks
// call thousands) very slow. Results do not depend on it: every loop writes disjoint outputs.
inline constexpr int64_t kMinParallelWork = 1 << 15;
}  // namespace moelaw::backend::cpu
