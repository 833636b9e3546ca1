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

namespace {
std::unique_ptr<Backend<float>> make_cpu(const std::string& precision, const std::string& why) {
  if (precision == "bf16") throw UsageError("train.precision = \"bf16\" needs a GPU, and " + why);
  return make_cpu_backend<float>();
}
}  // namespace

BackendChoice parse_backend_choice(const std::string& name) {
  if (name == "cpu") return BackendChoice::cpu;
  if (name == "cuda") return BackendChoice::cuda;
  if (name == "auto") return BackendChoice::automatic;
  throw UsageError("train.backend = \"" + name + "\": expected \"cpu\", \"cuda\" or \"auto\"");
}

std::unique_ptr<Backend<float>> make_training_backend(const std::string& requested_name, const std::string& precision,
                                                      int rank_on_node, std::string* note) {
  const BackendChoice requested = parse_backend_choice(requested_name);
  if (requested == BackendChoice::cpu) return make_cpu(precision, "train.backend is \"cpu\"");
  const Precision gpu_precision = precision == "fp32" ? Precision::fp32 : Precision::bf16;
  const auto& p = provider();
  std::string reason = "this build has no CUDA backend (nvcc was not found when it was configured)";
  int count = 0;
  if (p.make && p.device_count) count = p.device_count(&reason);
  if (requested == BackendChoice::cuda) {
    if (count == 0) throw UsageError("train.backend = \"cuda\": no GPU can be used: " + reason);
    return p.make(rank_on_node % count, gpu_precision);
  }
  // auto
  if (count > 0) return p.make(rank_on_node % count, gpu_precision);
  const std::string why = "there is no GPU (" + reason + ")";
  if (note) *note = why + "; training on the CPU";
  return make_cpu(precision, why);
}

}  // namespace moelaw::backend
