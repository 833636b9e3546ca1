#include "model/parameter_table.hpp"

#include <stdexcept>

namespace moelaw::model {

void ParameterTable::add(const std::string& name, std::vector<int64_t> shape, TensorRole role,
                         int64_t fan_in) {
  int64_t size = 1;
  for (int64_t s : shape) size *= s;
  tensors_.push_back({name, std::move(shape), total_, size, role, fan_in, role != TensorRole::NormGain});
  total_ += size;
}

const TensorInfo& ParameterTable::at(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return t;
  throw std::out_of_range("no parameter tensor named '" + name + "'");
}

bool ParameterTable::contains(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return true;
  return false;
}

std::string block_tensor_name(int64_t block, const char* tensor) {
  return "blocks." + std::to_string(block) + "." + tensor;
}

ParameterTable dense_parameter_table(const ModelDims& dims) {
  const int64_t d = dims.d_model, f = dims.ffn_hidden(), V = dims.vocab_size;
  ParameterTable t;
  t.add("tok_embedding", {V, d}, TensorRole::Embedding, d);
  for (int64_t b = 0; b < dims.n_blocks; ++b) {
    t.add(block_tensor_name(b, "attn_norm"), {d}, TensorRole::NormGain, d);
    for (const char* w : {"wq", "wk", "wv", "wo"}) t.add(block_tensor_name(b, w), {d, d}, TensorRole::Matrix, d);
    t.add(block_tensor_name(b, "ffn_norm"), {d}, TensorRole::NormGain, d);
    if (dims.moe()) {
      // Experts stacked along the first axis: a layout that does not depend on how many ranks
      // hold them, so checkpoints move between expert-parallel sizes.
      const int64_t E = dims.experts, h = dims.expert_hidden;
      t.add(block_tensor_name(b, "router"), {E, d}, TensorRole::Matrix, d);
      t.add(block_tensor_name(b, "experts_w_gate"), {E, h, d}, TensorRole::Matrix, d);
      t.add(block_tensor_name(b, "experts_w_up"), {E, h, d}, TensorRole::Matrix, d);
      t.add(block_tensor_name(b, "experts_w_down"), {E, d, h}, TensorRole::Matrix, h);
      continue;
    }
    t.add(block_tensor_name(b, "w_gate"), {f, d}, TensorRole::Matrix, d);
    t.add(block_tensor_name(b, "w_up"), {f, d}, TensorRole::Matrix, d);
    t.add(block_tensor_name(b, "w_down"), {d, f}, TensorRole::Matrix, f);
  }
  t.add("final_norm", {d}, TensorRole::NormGain, d);
  t.add("lm_head", {V, d}, TensorRole::Matrix, d);
  return t;
}

}  // namespace moelaw::model
