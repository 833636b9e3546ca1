#pragma once
// Errors from the CUDA runtime and cuBLAS become exceptions naming the call site.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace moelaw::cuda {

inline void check_cuda(cudaError_t err, const char* what, const char* file, int line) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + what + ": " +
                             cudaGetErrorString(err));
}

inline void check_cublas(cublasStatus_t status, const char* what, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + what + ": cuBLAS status " +
                             std::to_string(static_cast<int>(status)));
}

}  // namespace moelaw::cuda

#define MOELAW_CUDA_CHECK(call) ::moelaw::cuda::check_cuda((call), #call, __FILE__, __LINE__)
#define MOELAW_CUBLAS_CHECK(call) ::moelaw::cuda::check_cublas((call), #call, __FILE__, __LINE__)
// After a kernel launch: launch errors (bad configuration) surface here.
#define MOELAW_CUDA_LAUNCHED() MOELAW_CUDA_CHECK(cudaGetLastError())
