#include "model/init.hpp"

#include <cmath>
#include <numbers>

namespace moelaw::model {

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SplitMix64::uniform_open() {
  return (double(next() >> 11) + 0.5) * 0x1.0p-53;
}

double SplitMix64::standard_normal() {
  const double u1 = uniform_open(), u2 = uniform_open();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

uint64_t name_hash(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

template <typename T>
void initialize_parameters(std::vector<T>& host_params, const ParameterTable& table, uint64_t seed,
                           double init_scale) {
  host_params.assign(table.total(), T(0));
  // Tensors in parallel: each draws from a generator of its own, so the values do not depend on
  // the thread count (a big MoE model draws billions of values).
  const auto& tensors = table.tensors();
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t j = 0; j < tensors.size(); ++j) {
    const auto& t = tensors[j];
    T* p = host_params.data() + t.offset;
    if (t.role == TensorRole::NormGain) {
      for (int64_t i = 0; i < t.size; ++i) p[i] = T(1);
      continue;
    }
    SplitMix64 rng(seed ^ name_hash(t.name));
    const double std_dev = std::sqrt(init_scale / double(t.fan_in));
    // A shard draws the whole tensor's stream and keeps its rows: the same weights as on one rank.
    const int64_t skip = t.shard_first > 0 ? t.shard_first * (t.size / t.shape[0]) : 0;
    for (int64_t i = 0; i < skip + t.size; ++i) {
      double z;
      do z = rng.standard_normal();
      while (std::abs(z) > 2.0);
      if (i >= skip) p[i - skip] = T(z * std_dev);
    }
  }
}

template void initialize_parameters<float>(std::vector<float>&, const ParameterTable&, uint64_t, double);
template void initialize_parameters<double>(std::vector<double>&, const ParameterTable&, uint64_t, double);

}  // namespace moelaw::model
