#pragma once
// Device memory without a backend around it, for the scratch buffers of kernels and of the bf16
// products (backend::DeviceArray::grow over it): cudaMalloc, cudaFree, cudaMemcpy, cudaMemset.
#include "backend/device_memory.hpp"

namespace moelaw::cuda {

// The process's one instance. Never destroyed: buffers in static storage free their memory
// through it at exit, whatever the order of destruction (a cudaFree then finds the runtime gone
// and reports nothing).
backend::DeviceMemory& device_memory();

}  // namespace moelaw::cuda
