#pragma once
// AdamW over a model's parameter table: fp32 moments in the backend's memory, decoupled weight
// decay on matrices and embeddings only (not on norm gains), bias correction by step count.
#include <cstdint>
#include <vector>

#include "backend/backend.hpp"
#include "model/parameter_table.hpp"

namespace moelaw::train {

struct AdamWSettings {
  double beta1, beta2, eps, weight_decay;
};

class AdamW {
 public:
  AdamW(backend::Backend<float>& backend, const model::ParameterTable& table, AdamWSettings settings);

  // One update of params from grads at learning rate lr.
  void step(float* params, const float* grads, double lr);

  int64_t steps_taken() const { return step_; }
  // Moments to and from host memory, in the parameter table's layout (checkpoints).
  std::vector<float> first_moment() const;
  std::vector<float> second_moment() const;
  void restore(const std::vector<float>& m, const std::vector<float>& v, int64_t steps_taken);

 private:
  backend::Backend<float>& backend_;
  const model::ParameterTable& table_;
  AdamWSettings settings_;
  backend::DeviceArray<float> m_, v_;
  int64_t step_ = 0;
};

}  // namespace moelaw::train
