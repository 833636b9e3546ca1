#pragma once
// The shape of the dense transformer of DESIGN.md, and the fixed constants of its layers.
#include <cstdint>

#include "config/run_config.hpp"

namespace moelaw::model {

struct ModelDims {
  int64_t d_model;
  int64_t n_blocks;
  int64_t n_heads;
  int64_t head_dim;
  int64_t vocab_size;
  int64_t seq_len;  // the longest sequence the model is asked to run
  // Mixture of Experts (DESIGN.md): every feed-forward becomes `experts` SwiGLU experts of hidden
  // size expert_hidden, each token using expert_choices of them. Counts include the split by
  // granularity G: experts = E·G, expert_choices = k·G, expert_hidden = 3·d_model/G.
  int64_t experts = 1;
  int64_t expert_choices = 1;
  int64_t expert_hidden = 0;
  double capacity_factor = 1.0, aux_loss_weight = 0.01, z_loss_weight = 0.001;

  bool moe() const { return experts > 1; }

  int64_t ffn_hidden() const { return 3 * d_model; }  // SwiGLU hidden size (DESIGN.md)

  // Throws a UsageError when the shape is inconsistent (heads not tiling d_model, odd head size).
  void validate() const;
};

// RMSNorm's epsilon and RoPE's base: the values of Llama and most open models.
inline constexpr double kNormEps = 1e-5;
inline constexpr double kRopeTheta = 10000.0;

ModelDims dims_from_config(const config::ModelConfig& m);

}  // namespace moelaw::model
