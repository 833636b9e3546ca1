#pragma once
// The seam's bf16 views (backend::bf16, the neutral storage type) as CUDA's __nv_bfloat16: the same
// two bytes.
#include <cuda_bf16.h>

#include "backend/tensor.hpp"

namespace moelaw::cuda {

static_assert(sizeof(__nv_bfloat16) == sizeof(backend::bf16), "bf16 storage must match CUDA's");

inline const __nv_bfloat16* bf16_data(backend::In x) {
  return reinterpret_cast<const __nv_bfloat16*>(x.as<backend::bf16>());
}
template <int Role>
__nv_bfloat16* bf16_data(backend::Writable<Role> x) {
  return reinterpret_cast<__nv_bfloat16*>(x.template as<backend::bf16>());
}

}  // namespace moelaw::cuda
