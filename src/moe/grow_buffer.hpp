#pragma once
// The MoE layer's buffers depend on the micro-batch and on how many rows arrive from other
// ranks, so they are sized on use: reallocated only when too small, kept otherwise.
#include <cstddef>

#include "backend/device_memory.hpp"

namespace moelaw::moe {

template <typename U>
U* grow(backend::DeviceArray<U>& a, backend::DeviceMemory& memory, size_t n) {
  if (a.size() < n) a = backend::DeviceArray<U>(memory, n);
  return a.data();
}

}  // namespace moelaw::moe
