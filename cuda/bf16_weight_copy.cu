#include "bf16_weight_copy.hpp"

#include <cuda_runtime.h>

#include "check.hpp"
#include "cuda_memory.hpp"
#include "kernels.hpp"

namespace moelaw::cuda {

void Bf16WeightCopy::register_range(const float* base, size_t n) {
  copy_ = storage_.grow(device_memory(), n);
  base_ = n ? base : nullptr;
  n_ = n;
  stale_ = true;
}

// Compared as integers: the pointers may belong to different allocations.
bool Bf16WeightCopy::overlaps(const void* p, size_t bytes) const {
  if (!base_ || bytes == 0) return false;
  const auto begin = reinterpret_cast<uintptr_t>(p), end = begin + bytes;
  const auto range_begin = reinterpret_cast<uintptr_t>(base_), range_end = range_begin + n_ * sizeof(float);
  return begin < range_end && range_begin < end;
}

bool Bf16WeightCopy::inside(const float* p, size_t count) const {
  if (!base_) return false;
  const auto begin = reinterpret_cast<uintptr_t>(p), range_begin = reinterpret_cast<uintptr_t>(base_);
  return begin >= range_begin && (begin - range_begin) % sizeof(float) == 0 &&
         (begin - range_begin) / sizeof(float) + count <= n_;
}

void Bf16WeightCopy::written(const void* p, size_t bytes) {
  if (overlaps(p, bytes)) stale_ = true;
}

void Bf16WeightCopy::freed(const void* p) {
  if (overlaps(p, 1)) {
    base_ = nullptr;
    n_ = 0;
    stale_ = true;
  }
}

const __nv_bfloat16* Bf16WeightCopy::lookup(const float* w, size_t count) {
  if (!inside(w, count)) return nullptr;
  if (stale_) {
    kernels::to_bf16(copy_, base_, int64_t(n_));
    stale_ = false;
  }
  return copy_ + (w - base_);
}

__nv_bfloat16* Bf16WeightCopy::update_target(const float* params, size_t count) {
  if (!stale_ && inside(params, count)) return copy_ + (params - base_);
  written(params, count * sizeof(float));
  return nullptr;
}

}  // namespace moelaw::cuda
