#pragma once
// Which GPUs this process can use. No GPU (or a driver too old for the runtime, as on machines
// without one) is reported as zero devices with the reason, never as an error.
#include <string>

namespace moelaw::cuda {

struct DeviceInfo {
  int count = 0;
  std::string reason;  // why count is 0, or the first device's name
};

DeviceInfo query_devices();

}  // namespace moelaw::cuda
