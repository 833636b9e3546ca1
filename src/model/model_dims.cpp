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
}

ModelDims dims_from_config(const config::ModelConfig& m) {
  ModelDims d{m.d_model, m.n_blocks, m.n_heads, m.head_dim, m.vocab_size, m.seq_len};
  d.validate();
  return d;
}

}  // namespace moelaw::model
