#include "backend/registry.hpp"

#include "common/errors.hpp"

namespace moelaw::backend {

namespace {
GpuBackendProvider& provider() {
  static GpuBackendProvider p;
  return p;
}
}  // namespace

void register_gpu_backend(GpuBackendProvider p) { provider() = p; }

std::unique_ptr<Backend<float>> make_training_backend(const std::string& requested, int rank_on_node,
                                                      bool gpu_supported, const std::string& why_not,
                                                      std::string* note) {
  if (requested == "cpu") return make_cpu_backend<float>();
  const auto& p = provider();
  std::string reason = "this build has no CUDA backend (nvcc was not found when it was configured)";
  int count = 0;
  if (p.make && p.device_count) count = p.device_count(&reason);
  if (requested == "cuda") {
    if (count == 0) throw UsageError("train.backend = \"cuda\": no GPU can be used: " + reason);
    if (!gpu_supported) throw UsageError("train.backend = \"cuda\": " + why_not);
    return p.make(rank_on_node % count);
  }
  // auto
  if (count > 0 && gpu_supported) return p.make(rank_on_node % count);
  if (note) *note = count > 0 ? why_not + "; training on the CPU" : "no GPU (" + reason + "); training on the CPU";
  return make_cpu_backend<float>();
}

}  // namespace moelaw::backend
