#include "model/model_dims.hpp"

#include <string>

#include "common/errors.hpp"

namespace moelaw::model {

void ModelDims::validate() const {
  auto fail = [](const std::string& m) { throw UsageError("model shape: " + m); };
  if (d_model < 1 || n_blocks < 1 || n_heads < 1 || head_dim < 1 || vocab_size < 1 || seq_len < 1)
    fail("every dimension must be positive");
  if (n_heads * head_dim != d_model)
    fail("n_heads * head_dim (" + std::to_string(n_heads) + " * " + std::to_string(head_dim) +
         ") must equal d_model (" + std::to_string(d_model) + ")");
  if (head_dim % 2 != 0) fail("head_dim must be even (rotary embeddings pair dimensions)");
  if (moe() && (expert_choices < 1 || expert_choices > experts || expert_hidden < 1))
    fail("experts: need 1 <= choices <= experts and a positive expert size");
}

ModelDims dims_from_config(const config::ModelConfig& m) {
  ModelDims d{m.d_model, m.n_blocks, m.n_heads, m.head_dim, m.vocab_size, m.seq_len};
  if (m.experts > 1) {
    d.experts = m.experts * m.granularity;
    d.expert_choices = m.top_k * m.granularity;
    d.expert_hidden = 3 * m.d_model / m.granularity;
    d.capacity_factor = m.capacity_factor;
    d.aux_loss_weight = m.aux_loss_weight;
    d.z_loss_weight = m.z_loss_weight;
  }
  d.validate();
  return d;
}

}  // namespace moelaw::model
