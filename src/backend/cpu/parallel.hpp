#pragma once
// When the reference operations use OpenMP threads.
#include <cstdint>

namespace moelaw::backend::cpu {
// Below this many element operations a loop runs on one thread: waking the OpenMP team costs
// more than it saves, and on a loaded machine spinning threads make tiny ops (gradient checks
// call thousands) very slow. Results do not depend on it: every loop writes disjoint outputs.
inline constexpr int64_t kMinParallelWork = 1 << 15;
}  // namespace moelaw::backend::cpu
