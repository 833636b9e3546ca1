#include "cuda_memory.hpp"

#include <cuda_runtime.h>

#include "check.hpp"

namespace moelaw::cuda {

namespace {

class CudaMemory final : public backend::DeviceMemory {
 public:
  void* allocate_bytes(size_t bytes) override {
    if (bytes == 0) return nullptr;
    void* p = nullptr;
    MOELAW_CUDA_CHECK(cudaMalloc(&p, bytes));
    return p;
  }
  // Unchecked: at exit the context may be gone already, and a destructor must not throw.
  void free_bytes(void* p) override { cudaFree(p); }
  void copy_to_device(void* dst, const void* src, size_t bytes) override {
    if (bytes) MOELAW_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    if (bytes) MOELAW_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  }
  void zero_bytes(void* p, size_t bytes) override {
    if (bytes) MOELAW_CUDA_CHECK(cudaMemset(p, 0, bytes));
  }
};

}  // namespace

backend::DeviceMemory& device_memory() {
  static auto* memory = new CudaMemory;  // leaked on purpose (see cuda_memory.hpp)
  return *memory;
}

}  // namespace moelaw::cuda
