#include "model/parameter_table.hpp"

#include <stdexcept>

namespace moelaw::model {

void ParameterTable::add(const std::string& name, std::vector<int64_t> shape, TensorRole role,
                         int64_t fan_in) {
  int64_t size = 1;
  for (int64_t s : shape) size *= s;
  if (total_ != replicated_total_)
    throw std::logic_error("parameter table: '" + name + "' added after the expert tensors");
  auto full = shape;
  tensors_.push_back({name, std::move(shape), total_, size, role, fan_in, role != TensorRole::NormGain, false,
                      std::move(full), 0});
  total_ += size;
  replicated_total_ = total_;
  full_total_ += size;
}

void ParameterTable::add_expert_shard(const std::string& name, std::vector<int64_t> full_shape, int64_t first,
                                      int64_t rows, TensorRole role, int64_t fan_in) {
  if (full_shape.empty() || first < 0 || rows < 1 || first + rows > full_shape[0])
    throw std::logic_error("parameter table: rows [" + std::to_string(first) + ", " + std::to_string(first + rows) +
                           ") are not a shard of '" + name + "'");
  int64_t full = 1;
  for (int64_t s : full_shape) full *= s;
  auto shape = full_shape;
  shape[0] = rows;
  const int64_t size = full / full_shape[0] * rows;
  tensors_.push_back({name, std::move(shape), total_, size, role, fan_in, role != TensorRole::NormGain, true,
                      std::move(full_shape), first});
  total_ += size;
  full_total_ += full;
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

ParameterTable dense_parameter_table(const ModelDims& dims, ExpertShard shard) {
  const int64_t d = dims.d_model, f = dims.ffn_hidden(), V = dims.vocab_size;
  const int64_t E = dims.experts, h = dims.expert_hidden;
  if (shard.count < 0) shard = {0, E};
  if (dims.moe() && (shard.first < 0 || shard.count < 1 || shard.first + shard.count > E))
    throw std::logic_error("parameter table: experts [" + std::to_string(shard.first) + ", " +
                           std::to_string(shard.first + shard.count) + ") are not among the model's " +
                           std::to_string(E));
  ParameterTable t;
  t.add("tok_embedding", {V, d}, TensorRole::Embedding, d);
  for (int64_t b = 0; b < dims.n_blocks; ++b) {
    t.add(block_tensor_name(b, "attn_norm"), {d}, TensorRole::NormGain, d);
    for (const char* w : {"wq", "wk", "wv", "wo"}) t.add(block_tensor_name(b, w), {d, d}, TensorRole::Matrix, d);
    t.add(block_tensor_name(b, "ffn_norm"), {d}, TensorRole::NormGain, d);
    if (dims.moe()) {
      t.add(block_tensor_name(b, "router"), {E, d}, TensorRole::Matrix, d);
      continue;
    }
    t.add(block_tensor_name(b, "w_gate"), {f, d}, TensorRole::Matrix, d);
    t.add(block_tensor_name(b, "w_up"), {f, d}, TensorRole::Matrix, d);
    t.add(block_tensor_name(b, "w_down"), {d, f}, TensorRole::Matrix, f);
  }
  t.add("final_norm", {d}, TensorRole::NormGain, d);
  t.add("lm_head", {V, d}, TensorRole::Matrix, d);
  // Experts stacked along the first axis, whole tensors in checkpoints: a layout that does not
  // depend on how many ranks hold them, so checkpoints move between expert-parallel sizes.
  if (dims.moe())
    for (int64_t b = 0; b < dims.n_blocks; ++b) {
      t.add_expert_shard(block_tensor_name(b, "experts_w_gate"), {E, h, d}, shard.first, shard.count,
                         TensorRole::Matrix, d);
      t.add_expert_shard(block_tensor_name(b, "experts_w_up"), {E, h, d}, shard.first, shard.count,
                         TensorRole::Matrix, d);
      t.add_expert_shard(block_tensor_name(b, "experts_w_down"), {E, d, h}, shard.first, shard.count,
                         TensorRole::Matrix, h);
    }
  return t;
}

}  // namespace moelaw::model
