#pragma once
// Where each named tensor lives in the model's one contiguous parameter buffer. Checkpoints store
// tensors by these names; the gradient and optimizer-moment buffers share the layout.
#include <cstdint>
#include <string>
#include <vector>

#include "model/model_dims.hpp"

namespace moelaw::model {

enum class TensorRole {
  Embedding,  // [vocab, d_model] lookup table
  Matrix,     // [out, in] linear-layer weight
  NormGain,   // [d_model] RMSNorm gain, initialised to 1
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset;  // in elements, from the start of the buffer
  int64_t size;
  TensorRole role;
  int64_t fan_in;  // the init's fan-in (d_model for the embedding table)
  bool weight_decay;  // AdamW decays matrices and embeddings, not norm gains
};

class ParameterTable {
 public:
  void add(const std::string& name, std::vector<int64_t> shape, TensorRole role, int64_t fan_in);

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  int64_t total() const { return total_; }
  // Throws std::out_of_range naming the tensor when it does not exist.
  const TensorInfo& at(const std::string& name) const;
  bool contains(const std::string& name) const;

 private:
  std::vector<TensorInfo> tensors_;
  int64_t total_ = 0;
};

// The dense model's tensors, in buffer order:
//   tok_embedding [V,d]
//   blocks.{i}.attn_norm [d], .wq .wk .wv .wo [d,d], .ffn_norm [d],
//             .w_gate .w_up [3d,d], .w_down [d,3d]
//   final_norm [d], lm_head [V,d]
ParameterTable dense_parameter_table(const ModelDims& dims);

// "blocks.3.wq"
std::string block_tensor_name(int64_t block, const char* tensor);

}  // namespace moelaw::model
