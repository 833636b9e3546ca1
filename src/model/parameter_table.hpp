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
  // Expert tensors on an expert-parallel rank hold only that rank's experts: rows
  // [shard_first, shard_first + shape[0]) of the whole tensor, whose shape is full_shape.
  // Their gradients sum over the ranks holding the same experts, not over the world.
  bool expert_sharded = false;
  std::vector<int64_t> full_shape;  // as stored in checkpoints; == shape unless sharded
  int64_t shard_first = 0;
};

// Which experts this rank holds (expert parallelism); by default all of them.
struct ExpertShard {
  int64_t first = 0;
  int64_t count = -1;  // -1: every expert
};

class ParameterTable {
 public:
  void add(const std::string& name, std::vector<int64_t> shape, TensorRole role, int64_t fan_in);
  // Rows [first, first + rows) of a tensor of full_shape, stacked by expert along the first axis.
  // Expert tensors come after every other tensor, so the replicated part is one range.
  void add_expert_shard(const std::string& name, std::vector<int64_t> full_shape, int64_t first, int64_t rows,
                        TensorRole role, int64_t fan_in);

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  int64_t total() const { return total_; }
  // Values before the first expert tensor: the part every data-parallel rank holds whole
  // (everything for a dense model).
  int64_t replicated_total() const { return replicated_total_; }
  // The whole model's values, as a checkpoint holds them (== total() unless experts are sharded).
  int64_t full_total() const { return full_total_; }
  // This rank holds only some of the experts (expert parallelism): full_total() > total().
  bool experts_split() const { return total_ != full_total_; }
  // Throws std::out_of_range naming the tensor when it does not exist.
  const TensorInfo& at(const std::string& name) const;
  bool contains(const std::string& name) const;

 private:
  std::vector<TensorInfo> tensors_;
  int64_t total_ = 0, replicated_total_ = 0, full_total_ = 0;
};

// The model's tensors, in buffer order:
//   tok_embedding [V,d]
//   blocks.{i}.attn_norm [d], .wq .wk .wv .wo [d,d], .ffn_norm [d],
//             dense: .w_gate .w_up [3d,d], .w_down [d,3d];  MoE: .router [E,d]
//   final_norm [d], lm_head [V,d]
//   MoE only, then: blocks.{i}.experts_w_gate, .experts_w_up [E,h,d], .experts_w_down [E,d,h]
//   for each block, holding only the experts of `shard`.
ParameterTable dense_parameter_table(const ModelDims& dims, ExpertShard shard = {});

// "blocks.3.wq"
std::string block_tensor_name(int64_t block, const char* tensor);

}  // namespace moelaw::model
