#pragma once
// Grid sizes the kernels' launchers share.
#include <cstdint>

namespace moelaw::cuda {

// Blocks of `threads` threads covering n elements, one element a thread.
inline unsigned blocks_for(int64_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

// Threads per block of a kernel that gives each row of `width` values one block.
inline int row_threads(int64_t width) { return width >= 4096 ? 1024 : width >= 512 ? 256 : 64; }

}  // namespace moelaw::cuda
