#include "train/adamw.hpp"

#include <stdexcept>

namespace moelaw::train {

AdamW::AdamW(backend::Backend<float>& backend, const model::ParameterTable& table, AdamWSettings settings)
    : backend_(backend), table_(table), settings_(settings),
      m_(backend, static_cast<size_t>(table.total())), v_(backend, static_cast<size_t>(table.total())) {
  m_.zero();
  v_.zero();
}

void AdamW::step(float* params, const float* grads, double lr) {
  ++step_;
  for (const auto& t : table_.tensors()) {
    backend::AdamWHyper h{lr, settings_.beta1, settings_.beta2, settings_.eps,
                          t.weight_decay ? settings_.weight_decay : 0.0, step_};
    backend_.adamw_update(params + t.offset, grads + t.offset, m_.data() + t.offset, v_.data() + t.offset,
                          t.size, h);
  }
}

std::vector<float> AdamW::first_moment() const {
  std::vector<float> out(m_.size());
  m_.download(out.data(), out.size());
  return out;
}

std::vector<float> AdamW::second_moment() const {
  std::vector<float> out(v_.size());
  v_.download(out.data(), out.size());
  return out;
}

void AdamW::restore(const std::vector<float>& m, const std::vector<float>& v, int64_t steps_taken) {
  if (m.size() != m_.size() || v.size() != v_.size())
    throw std::runtime_error("optimizer state does not match the model's parameter count");
  m_.upload(m.data(), m.size());
  v_.upload(v.data(), v.size());
  step_ = steps_taken;
}

}  // namespace moelaw::train
