#include "device_info.hpp"

#include <cuda_runtime.h>

namespace moelaw::cuda {

DeviceInfo query_devices() {
  DeviceInfo info;
  cudaError_t err = cudaGetDeviceCount(&info.count);
  if (err != cudaSuccess) {
    info.count = 0;
    info.reason = cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error
    return info;
  }
  if (info.count == 0) {
    info.reason = "no CUDA device";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) info.reason = prop.name;
  return info;
}

}  // namespace moelaw::cuda
