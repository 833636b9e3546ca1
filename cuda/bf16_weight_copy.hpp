#pragma once
// The bf16 copy of the registered weight buffer (Backend::register_weights): converted as a whole,
// lazily, when a product needs it and a write into the range made it stale; kept current by the
// fused AdamW without any conversion during training.
#include <cuda_bf16.h>

#include <cstddef>
#include <cstdint>

#include "backend/device_memory.hpp"

namespace moelaw::cuda {

class Bf16WeightCopy {
 public:
  Bf16WeightCopy() = default;
  Bf16WeightCopy(const Bf16WeightCopy&) = delete;
  Bf16WeightCopy& operator=(const Bf16WeightCopy&) = delete;

  // A new range (or the same one again): the copy is stale until the next lookup.
  void register_range(const float* base, size_t n);
  // Host uploads and memsets that overlap the range make the copy stale.
  void written(const void* p, size_t bytes);
  // Freeing memory that holds the range ends the registration: the address may be reused.
  void freed(const void* p);

  // The bf16 copy of w[0, count), refreshed first if stale; null when w[0, count) is not inside
  // the range.
  const __nv_bfloat16* lookup(const float* w, size_t count);
  // Where AdamW should write bf16(params[0, count)) alongside the fp32 values: the copy's slot
  // when it is current and holds the whole tensor; otherwise null, and an overlapping write
  // leaves the copy stale (refreshed by the next lookup).
  __nv_bfloat16* update_target(const float* params, size_t count);

 private:
  bool inside(const float* p, size_t count) const;
  bool overlaps(const void* p, size_t bytes) const;

  const float* base_ = nullptr;
  size_t n_ = 0;
  backend::DeviceArray<__nv_bfloat16> storage_;  // grows with the largest range registered
  __nv_bfloat16* copy_ = nullptr;
  bool stale_ = true;
};

}  // namespace moelaw::cuda
