#pragma once
// A device buffer that grows on demand and is kept, for kernels that need temporary space
// (partial sums, index lists). Not thread-safe: one per call site, used from one host thread.
#include <cuda_runtime.h>

#include <cstddef>

#include "check.hpp"

namespace moelaw::cuda {

class DeviceScratch {
 public:
  DeviceScratch() = default;
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
  ~DeviceScratch() {
    if (data_) cudaFree(data_);  // at exit the context may be gone already: nothing to report
  }

  template <typename U>
  U* get(size_t count) {
    const size_t bytes = count * sizeof(U);
    if (bytes > bytes_) {
      if (data_) MOELAW_CUDA_CHECK(cudaFree(data_));  // synchronises: no kernel still reads it
      data_ = nullptr;
      bytes_ = 0;
      MOELAW_CUDA_CHECK(cudaMalloc(&data_, bytes));
      bytes_ = bytes;
    }
    return static_cast<U*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace moelaw::cuda
