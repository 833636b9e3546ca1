// Linear layers through BLAS.
#include "backend/cpu/blas_gemm.hpp"
#include "backend/cpu/instantiate.hpp"
#include "backend/cpu/ops.hpp"

namespace moelaw::backend::cpu {

template <typename T>
void matmul_forward(T* out, const T* in, const T* w, int64_t N, int64_t C, int64_t OC) {
  gemm(false, true, N, OC, C, T(1), in, C, w, C, T(0), out, OC);
}

template <typename T>
void matmul_backward(T* din, T* dw, const T* dout, const T* in, const T* w, int64_t N, int64_t C,
                     int64_t OC) {
  if (din) gemm(false, false, N, C, OC, T(1), dout, OC, w, C, T(1), din, C);
  if (dw) gemm(true, false, OC, C, N, T(1), dout, OC, in, C, T(1), dw, C);
}

#define INSTANTIATE(T)                                                                        \
  template void matmul_forward<T>(T*, const T*, const T*, int64_t, int64_t, int64_t);        \
  template void matmul_backward<T>(T*, T*, const T*, const T*, const T*, int64_t, int64_t, \
                                   int64_t);
MOELAW_INSTANTIATE_FOR_REAL_TYPES(INSTANTIATE)
#undef INSTANTIATE

}  // namespace moelaw::backend::cpu
