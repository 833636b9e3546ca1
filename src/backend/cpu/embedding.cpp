// Token embedding lookup and its scatter-add backward.
#include <cstring>

#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/ops.hpp"
#include "backend/cpu/parallel.hpp"

namespace moelaw::backend::cpu {

template <typename T>
void embedding_forward(T* out, const int32_t* tokens, const T* table, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static) if (N * C >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n)
    std::memcpy(out + n * C, table + static_cast<int64_t>(tokens[n]) * C, sizeof(T) * C);
}

template <typename T>
void embedding_backward(T* dtable, const T* dout, const int32_t* tokens, int64_t N, int64_t C) {
  // Threads own columns, not positions: repeated tokens then never race, and every entry sums
  // its contributions in position order whatever the thread count.
#pragma omp parallel for schedule(static) if (N * C >= kMinParallelWork)
  for (int64_t c = 0; c < C; ++c)
    for (int64_t n = 0; n < N; ++n) dtable[static_cast<int64_t>(tokens[n]) * C + c] += dout[n * C + c];
}

#define INSTANTIATE(T)                                                                 \
  template void embedding_forward<T>(T*, const int32_t*, const T*, int64_t, int64_t); \
  template void embedding_backward<T>(T*, const T*, const int32_t*, int64_t, int64_t);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
