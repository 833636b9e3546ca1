#pragma once
// Deterministic weight initialisation: the Switch Transformer's truncated normal,
// std = sqrt(scale / fan_in), values beyond 2 std redrawn; RMSNorm gains start at 1.
// The generator is our own (splitmix64 + Box–Muller), so the same seed gives the same weights
// with any compiler and standard library. Each tensor draws from a stream keyed by its name,
// so adding or reordering tensors never shifts another tensor's values.
#include <cstdint>
#include <vector>

#include "model/parameter_table.hpp"

namespace moelaw::model {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  double uniform_open();    // in (0, 1)
  double standard_normal(); // Box–Muller, one value per call (the partner is discarded)

 private:
  uint64_t state_;
};

// A stable 64-bit hash (FNV-1a) of a tensor name, to key its random stream.
uint64_t name_hash(const std::string& name);

template <typename T>
void initialize_parameters(std::vector<T>& host_params, const ParameterTable& table, uint64_t seed,
                           double init_scale);

}  // namespace moelaw::model
