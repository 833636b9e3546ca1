#pragma once
// Which backend trains: `train.backend` = "cpu", "cuda" or "auto" (CUDA when a GPU is there).
// The library below the command knows nothing of CUDA; a build with the CUDA backend registers
// it here from the top (src/cli), so the layers keep depending only downwards.
#include <memory>
#include <string>

#include "backend/backend.hpp"
#include "backend/precision.hpp"

namespace moelaw::backend {

struct GpuBackendProvider {
  // Number of usable GPUs, and why there are none (driver, no device) when 0.
  int (*device_count)(std::string* reason) = nullptr;
  std::unique_ptr<Backend<float>> (*make)(int device, Precision precision) = nullptr;
};

void register_gpu_backend(GpuBackendProvider provider);

// `train.backend` as the registry decides on it.
enum class BackendChoice { cpu, cuda, automatic };
// "cpu", "cuda", "auto"; anything else is a UsageError naming the key.
BackendChoice parse_backend_choice(const std::string& name);

// The backend for a training process. `rank_on_node` picks the GPU (rank % count). "cuda" with
// no CUDA build or no GPU is a UsageError saying which; "auto" falls back to the CPU and says why
// in `note`. `precision` ("fp32", "bf16", "auto"): auto is bf16 on a GPU and fp32 on the CPU;
// bf16 where only the CPU can train is a UsageError.
std::unique_ptr<Backend<float>> make_training_backend(const std::string& requested, const std::string& precision,
                                                      int rank_on_node, std::string* note);

}  // namespace moelaw::backend
