#pragma once
// The dense decoder-only transformer of DESIGN.md, written once against the Backend seam:
// token embedding → n_blocks × [RMSNorm → causal MHA with RoPE → +residual;
// RMSNorm → SwiGLU(3·d_model) → +residual] → final RMSNorm → untied output projection →
// softmax cross-entropy.
//
// Memory: parameters, gradients and activations live in the backend's memory. Logits exist only
// for a chunk of rows at a time (the output head and the loss run chunk by chunk). Activations are
// sized for one micro-batch (max_micro_batch sequences of up to seq_len tokens) and reused, so a
// batch of any size runs as micro-batches whose gradients accumulate (forward_backward).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "backend/backend.hpp"
#include "model/gradient_buckets.hpp"
#include "model/model_dims.hpp"
#include "model/parameter_table.hpp"
#include "moe/experts.hpp"
#include "moe/moe_layer.hpp"
#include "parallel/device_exchange.hpp"

namespace moelaw::model {

// Σ losses over the positions that have a target, and how many there were.
struct LossSum {
  double sum = 0;
  int64_t count = 0;
  double mean() const { return count ? sum / double(count) : 0.0; }
};

// Routing statistics of the MoE layers over the training forwards since the last reset.
struct MoeStats {
  int64_t tokens = 0;                       // tokens routed (per layer)
  std::vector<int64_t> choices, dropped;    // per layer: choices made, choices over capacity
  std::vector<std::vector<int64_t>> load;   // per layer and expert: choices before capacity
  std::vector<double> aux_loss, z_loss;     // per layer: token-weighted sums (divide by tokens)
};

template <typename T>
class Transformer {
 public:
  // expert_exchange: moves token rows between the ranks that share this rank's tokens' experts
  // (MoE models), on buffers in the backend's memory; null = every expert here. With a group of P
  // ranks, this rank holds only experts [rank·E/P, (rank+1)·E/P): parameters, gradients and
  // optimizer moments of the others live on the other ranks.
  Transformer(backend::Backend<T>& backend, const ModelDims& dims, int64_t max_micro_batch,
              parallel::DeviceExchange* expert_exchange = nullptr);
  ~Transformer();
  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;

  const ModelDims& dims() const { return dims_; }
  const ParameterTable& table() const { return table_; }
  int64_t max_micro_batch() const { return max_micro_batch_; }
  // The output head computes logits and their softmax for this many rows at a time (default:
  // about 256 MiB of logits); a backward over several chunks recomputes each chunk's logits.
  void set_output_chunk_rows(int64_t rows);
  static int64_t default_output_chunk_rows(const ModelDims& dims);
  backend::Backend<T>& backend() { return backend_; }

  // The contiguous buffers in backend memory (parameters and gradients share the table's layout).
  T* params() { return params_.data(); }
  T* grads() { return grads_.data(); }

  void initialize(uint64_t seed, double init_scale);
  void set_parameters(const std::vector<T>& host);
  std::vector<T> parameters() const;
  std::vector<T> gradients() const;
  void zero_grad();
  // √(Σ g²) over every gradient entry of this rank's buffer (the global norm when this rank holds
  // every expert; with expert parallelism the trainer adds the other ranks' experts).
  double gradient_norm();

  // Forward over b ≤ max_micro_batch sequences of t ≤ seq_len tokens (row-major [b,t], host
  // memory). targets[i] < 0 marks a position without a loss. Keeps the activations for backward().
  LossSum forward(const int32_t* tokens, const int32_t* targets, int64_t b, int64_t t);
  // Adds d(loss_scale · Σ losses of the last forward)/dθ into the gradients. Consumes the
  // activations: call forward() again before another backward().
  void backward(double loss_scale);

  // The loss over a whole batch of B sequences (any B), run as micro-batches; adds the gradient
  // of loss_scale·Σ losses into the gradients: by default loss_scale = 1/(targets in this batch),
  // the gradient of its mean. Data parallelism passes 1/(targets over all ranks), so the ranks'
  // gradients sum to that of the global mean. Call zero_grad() first for a fresh gradient.
  //
  // on_gradients_ready, when set, is told about ranges of the gradient buffer as they become
  // final during the last micro-batch (the head's after its fused forward, then each block's,
  // then the embedding's), merged into buckets of at least gradient_bucket_bytes(): together the
  // ranges tile the replicated part of the buffer, [0, table().replicated_total()), exactly once,
  // even when this rank has nothing to compute (B = 0). A data-parallel all-reduce started on each
  // overlaps the rest of the backward pass. The expert tensors after it (MoE) are not reported:
  // they sum over another group of ranks.
  LossSum forward_backward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t t,
                           std::optional<double> loss_scale = std::nullopt,
                           const GradientsReady& on_gradients_ready = {});
  // The least a bucket of on_gradients_ready holds (the last may hold less): large enough that
  // each collective is not dominated by its latency. Default 16 MiB.
  void set_gradient_bucket_bytes(int64_t bytes) { gradient_bucket_bytes_ = bytes; }
  int64_t gradient_bucket_bytes() const { return gradient_bucket_bytes_; }
  // MoE routing statistics of training forwards (capacity applied); evaluation is dropless.
  const MoeStats& moe_stats() const { return moe_stats_; }
  void reset_moe_stats();
  // Wall time the MoE layers spent in all-to-all exchanges since construction, in seconds.
  double moe_exchange_seconds() const {
    double s = 0;
    for (const auto& m : moe_) s += m->exchange_seconds();
    return s;
  }
  // The MoE layers' phases (routing, permutation, experts, exchange), timed with the device
  // synchronised at each boundary when enabled; summed over layers.
  void set_moe_phase_timing(bool enabled) {
    for (auto& m : moe_) m->set_phase_timing(enabled);
  }
  // Benchmarks: the experts' products one matmul per expert instead of the backend's grouped ops.
  void set_moe_expert_loop(bool enabled) {
    for (auto& m : moe_) m->set_expert_loop(enabled);
  }
  moe::MoePhaseTimes moe_phase_times() const {
    moe::MoePhaseTimes t;
    for (const auto& m : moe_) {
      const auto& p = m->phase_times();
      t.routing += p.routing;
      t.permutation += p.permutation;
      t.experts += p.experts;
      t.exchange += p.exchange;
    }
    return t;
  }

  // The same loss without gradients (evaluation).
  LossSum evaluate(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t t);

 private:
  struct Activations;
  struct BlockOffsets;
  struct BlockWeights;
  void find_offsets();  // once, from the parameter table's names
  BlockWeights block_weights(T* base, int64_t block) const;
  // With grad_scale (training), the output head's backward runs inside the forward, chunk by chunk.
  LossSum forward(const int32_t* tokens, const int32_t* targets, int64_t b, int64_t t,
                  std::optional<double> grad_scale);
  // The output head and loss, chunk by chunk: loss only (a plain forward), loss and gradient
  // (training's forward), or gradient after a plain forward (recomputing each chunk's logits
  // unless the forward's single chunk is still there). The gradient is that of
  // grad_scale·Σ losses, added into the head's and final norm's gradients and written to dres.
  enum class HeadPass { loss, loss_and_gradient, backward };
  void output_head(int64_t N, HeadPass pass, double grad_scale = 0);
  // backward(), calling block_done(l) once block l's gradients are complete.
  void backward(double loss_scale, const std::function<void(int64_t block)>& block_done);
  // Where each part of the gradient buffer lies, in the order backward finishes them.
  struct GradientSpan {
    int64_t first = 0, count = 0;
  };
  GradientSpan head_span() const;             // final norm and output head
  GradientSpan block_span(int64_t block) const;
  GradientSpan embedding_span() const;

  backend::Backend<T>& backend_;
  ModelDims dims_;
  ParameterTable table_;
  int64_t max_micro_batch_;
  backend::DeviceArray<T> params_, grads_;
  std::unique_ptr<Activations> acts_;
  int64_t last_b_ = 0, last_t_ = 0;  // shape of the last forward, 0 when consumed
  std::optional<double> head_grad_scale_;  // the last forward already ran the head's backward
  bool training_ = true;             // capacity and statistics (forward_backward) or not (evaluate)
  std::vector<std::unique_ptr<moe::MoeLayer<T>>> moe_;  // one per block for MoE models
  std::vector<std::unique_ptr<moe::GroupedSwiglu<T>>> ffn_;  // one per block for dense models
  std::vector<BlockOffsets> block_offsets_;
  std::vector<GradientSpan> block_spans_;
  int64_t tok_embedding_ = 0, final_norm_ = 0, lm_head_ = 0;  // offsets in the parameter buffer
  MoeStats moe_stats_;
  int64_t gradient_bucket_bytes_ = int64_t{16} << 20;
};

}  // namespace moelaw::model
