#pragma once
// Memory a backend's operations can read and write: host memory for the CPU reference, device
// memory for a GPU backend. The model owns its buffers through DeviceArray and never touches
// their contents directly, only through the backend's operations and explicit copies.
#include <cstddef>
#include <utility>

#include "backend/tensor.hpp"

namespace moelaw::backend {

class DeviceMemory {
 public:
  virtual ~DeviceMemory() = default;
  virtual void* allocate_bytes(size_t bytes) = 0;
  virtual void free_bytes(void* p) = 0;
  virtual void copy_to_device(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void zero_bytes(void* p, size_t bytes) = 0;
};

// An owning array of n elements of U in a backend's memory. Also the one scratch buffer of the
// project (the MoE layer's per-batch buffers, the CUDA kernels' partial sums and conversion
// space): grow() reallocates only when a call needs more than it holds.
template <typename U>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(DeviceMemory& memory, size_t n)
      : memory_(&memory), n_(n), data_(static_cast<U*>(memory.allocate_bytes(n * sizeof(U)))) {}
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept { swap(o); }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    DeviceArray(std::move(o)).swap(*this);
    return *this;
  }
  ~DeviceArray() {
    if (data_) memory_->free_bytes(data_);
  }

  U* data() const { return data_; }
  size_t size() const { return n_; }
  // At least n elements, in `memory` when it must reallocate (the contents are then not kept), the
  // same buffer otherwise: a buffer reused call after call is allocated once, not every call (on
  // a GPU an allocation and a free each synchronise the device). Returns data().
  U* grow(DeviceMemory& memory, size_t n) {
    if (n_ < n) {
      *this = DeviceArray();  // the old buffer goes first: the two are never held at once
      *this = DeviceArray(memory, n);
    }
    return data_;
  }
  void zero() { if (n_) memory_->zero_bytes(data_, n_ * sizeof(U)); }
  void upload(const U* host, size_t count, size_t offset = 0) {
    memory_->copy_to_device(data_ + offset, host, count * sizeof(U));
  }
  void download(U* host, size_t count, size_t offset = 0) const {
    memory_->copy_to_host(host, data_ + offset, count * sizeof(U));
  }

 private:
  void swap(DeviceArray& o) noexcept {
    std::swap(memory_, o.memory_);
    std::swap(n_, o.n_);
    std::swap(data_, o.data_);
  }
  DeviceMemory* memory_ = nullptr;
  size_t n_ = 0;
  U* data_ = nullptr;
};

// An owning array of n elements whose type is chosen at run time: the model's activations in the
// backend's activation_type(). Views of it go to the ops (backend/tensor.hpp).
class TensorArray {
 public:
  TensorArray() = default;
  TensorArray(DeviceMemory& memory, DType dtype, size_t n)
      : bytes_(memory, n * dtype_size(dtype)), dtype_(dtype), n_(n) {}

  DType dtype() const { return dtype_; }
  size_t size() const { return n_; }
  // At least n elements of `dtype`, as DeviceArray::grow (reallocated only when too few bytes).
  void grow(DeviceMemory& memory, DType dtype, size_t n) {
    bytes_.grow(memory, n * dtype_size(dtype));
    dtype_ = dtype;
    n_ = bytes_.size() / dtype_size(dtype);
  }
  Out out(int64_t offset = 0) const { return Out(bytes_.data(), dtype_, int64_t(n_)).at(offset); }
  In in(int64_t offset = 0) const { return out(offset); }

 private:
  DeviceArray<char> bytes_;
  DType dtype_ = DType::f32;
  size_t n_ = 0;
};

}  // namespace moelaw::backend
