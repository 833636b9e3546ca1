#include "model/transformer.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/errors.hpp"
#include "model/init.hpp"

namespace moelaw::model {

using backend::DeviceArray;
using backend::DType;
using backend::TensorArray;

// Everything one micro-batch's backward needs from its forward, plus reusable scratch.
// Sizes are for the largest micro-batch; a smaller one uses the front of each buffer. The
// normalised inputs of the matrix products are in the backend's activation type (bf16 on a
// mixed-precision GPU), except where an MoE layer routes and permutes them (T).
template <typename T>
struct Transformer<T>::Activations {
  struct Block {
    TensorArray ln1;
    DeviceArray<T> rstd1, q, k, v, attn_state, att, mid;
    TensorArray ln2;
    DeviceArray<T> rstd2;
  };
  std::vector<DeviceArray<T>> residual;  // the stream entering each block, and after the last
  std::vector<Block> blocks;
  TensorArray lnf;
  DeviceArray<T> rstdf, logits, losses;  // logits: [output_chunk_rows, V], probabilities in place
  bool logits_hold_probs = false;  // the forward's only chunk is still there for backward
  DeviceArray<T> scratch;  // values only the next operation reads (pre-RoPE q/k, projections)
  DeviceArray<T> dres, dln, datt, dq, dk, dv, drot;  // backward scratch
  DeviceArray<int32_t> tokens, targets;

  int64_t output_chunk_rows;  // rows of logits the output head materialises at once

  Activations(backend::Backend<T>& m, const ModelDims& d, int64_t max_b, int64_t chunk_rows)
      : output_chunk_rows(std::min(chunk_rows, max_b * d.seq_len)) {
    const size_t N = size_t(max_b * d.seq_len), C = size_t(d.d_model);
    const DType act = m.activation_type(), ffn_in = d.moe() ? backend::dtype_of<T> : act;
    // What attention keeps for its backward is the backend's choice (probabilities or row LSEs).
    const size_t att = size_t(m.attention_state_size(max_b, d.seq_len, d.n_heads, d.head_dim));
    for (int64_t i = 0; i <= d.n_blocks; ++i) residual.emplace_back(m, N * C);
    for (int64_t i = 0; i < d.n_blocks; ++i)
      blocks.push_back({TensorArray(m, act, N * C), {m, N}, {m, N * C}, {m, N * C}, {m, N * C}, {m, att}, {m, N * C},
                        {m, N * C}, TensorArray(m, ffn_in, N * C), {m, N}});
    lnf = TensorArray(m, act, N * C);
    rstdf = DeviceArray<T>(m, N);
    logits = DeviceArray<T>(m, size_t(output_chunk_rows) * size_t(d.vocab_size));
    losses = DeviceArray<T>(m, N);
    scratch = DeviceArray<T>(m, N * C);
    for (auto* a : {&dres, &dln, &datt, &dq, &dk, &dv, &drot}) *a = DeviceArray<T>(m, N * C);
    tokens = DeviceArray<int32_t>(m, N);
    targets = DeviceArray<int32_t>(m, N);
  }
};

// Where one block's weights (or their gradients) start in the parameter buffer, found by name
// once when the model is built.
template <typename T>
struct Transformer<T>::BlockOffsets {
  int64_t attn_norm, wq, wk, wv, wo, ffn_norm;
  int64_t w_gate = -1, w_up = -1, w_down = -1;                          // dense
  int64_t router = -1, experts_w_gate = -1, experts_w_up = -1, experts_w_down = -1;  // MoE
};

template <typename T>
struct Transformer<T>::BlockWeights {
  T *attn_norm, *wq, *wk, *wv, *wo, *ffn_norm;
  moe::SwigluWeights<T> ffn;      // dense models: the block's feed-forward
  moe::ExpertWeights<T> experts;  // MoE models: the block's router and experts
};

template <typename T>
typename Transformer<T>::BlockWeights Transformer<T>::block_weights(T* base, int64_t b) const {
  const BlockOffsets& o = block_offsets_[size_t(b)];
  if (dims_.moe())
    return {base + o.attn_norm, base + o.wq, base + o.wk, base + o.wv, base + o.wo, base + o.ffn_norm, {},
            {base + o.router, base + o.experts_w_gate, base + o.experts_w_up, base + o.experts_w_down}};
  return {base + o.attn_norm, base + o.wq, base + o.wk, base + o.wv, base + o.wo, base + o.ffn_norm,
          {base + o.w_gate, base + o.w_up, base + o.w_down}, {}};
}

template <typename T>
void Transformer<T>::find_offsets() {
  auto at = [&](int64_t b, const char* name) { return table_.at(block_tensor_name(b, name)).offset; };
  for (int64_t b = 0; b < dims_.n_blocks; ++b) {
    BlockOffsets o{at(b, "attn_norm"), at(b, "wq"), at(b, "wk"), at(b, "wv"), at(b, "wo"), at(b, "ffn_norm")};
    if (dims_.moe()) {
      o.router = at(b, "router");
      o.experts_w_gate = at(b, "experts_w_gate");
      o.experts_w_up = at(b, "experts_w_up");
      o.experts_w_down = at(b, "experts_w_down");
    } else {
      o.w_gate = at(b, "w_gate");
      o.w_up = at(b, "w_up");
      o.w_down = at(b, "w_down");
    }
    block_offsets_.push_back(o);
    // The block's replicated tensors, as one range of the gradient buffer.
    const std::string prefix = block_tensor_name(b, "");
    int64_t first = table_.total(), end = 0;
    for (const auto& tensor : table_.tensors())
      if (!tensor.expert_sharded && tensor.name.starts_with(prefix)) {
        first = std::min(first, tensor.offset);
        end = std::max(end, tensor.offset + tensor.size);
      }
    block_spans_.push_back({first, end - first});
  }
  tok_embedding_ = table_.at("tok_embedding").offset;
  final_norm_ = table_.at("final_norm").offset;
  lm_head_ = table_.at("lm_head").offset;
}

template <typename T>
void Transformer<T>::reset_moe_stats() {
  const size_t L = size_t(dims_.n_blocks);
  moe_stats_ = MoeStats{};
  if (!dims_.moe()) return;
  moe_stats_.choices.assign(L, 0);
  moe_stats_.dropped.assign(L, 0);
  moe_stats_.load.assign(L, std::vector<int64_t>(size_t(dims_.experts), 0));
  moe_stats_.aux_loss.assign(L, 0.0);
  moe_stats_.z_loss.assign(L, 0.0);
}

// An expert-parallel rank holds the experts its token dispatcher sends it rows for.
ExpertShard expert_shard(const ModelDims& dims, const parallel::DeviceExchange* expert_exchange) {
  if (!dims.moe() || !expert_exchange || expert_exchange->size() <= 1) return {};
  const int64_t ranks = expert_exchange->size();
  if (dims.experts % ranks != 0)
    throw UsageError("model: " + std::to_string(dims.experts) + " experts do not split evenly over " +
                     std::to_string(ranks) + " expert-parallel ranks");
  const int64_t per = dims.experts / ranks;
  return {expert_exchange->rank() * per, per};
}

template <typename T>
Transformer<T>::Transformer(backend::Backend<T>& backend, const ModelDims& dims,
                            int64_t max_micro_batch, parallel::DeviceExchange* expert_exchange)
    : backend_(backend), dims_(dims), table_(dense_parameter_table(dims, expert_shard(dims, expert_exchange))),
      max_micro_batch_(max_micro_batch) {
  // One backward scratch for every block's feed-forward or experts: blocks run one at a time.
  auto scratch = std::make_shared<moe::SwigluScratch<T>>();
  for (int64_t l = 0; l < dims_.n_blocks; ++l) {
    if (dims_.moe())
      moe_.push_back(std::make_unique<moe::MoeLayer<T>>(
          backend_,
          moe::MoeSettings{dims_.d_model, dims_.expert_hidden, dims_.experts, dims_.expert_choices,
                           dims_.capacity_factor, dims_.aux_loss_weight, dims_.z_loss_weight},
          expert_exchange, scratch));
    else
      ffn_.push_back(std::make_unique<moe::GroupedSwiglu<T>>(backend_, dims_.d_model, dims_.ffn_hidden(), scratch));
  }
  find_offsets();
  reset_moe_stats();
  dims_.validate();
  if (max_micro_batch < 1) throw UsageError("model: the micro-batch must hold at least one sequence");
  params_ = DeviceArray<T>(backend_, size_t(table_.total()));
  grads_ = DeviceArray<T>(backend_, size_t(table_.total()));
  params_.zero();
  grads_.zero();
  backend_.register_weights(params_.data(), params_.size());  // a bf16 backend's copy of the weights
  acts_ = std::make_unique<Activations>(backend_, dims_, max_micro_batch, default_output_chunk_rows(dims_));
}

// Enough rows that each chunk's GEMM keeps the hardware busy, few enough that the [rows, V]
// logits stay near 256 MiB (all N·V of them would be 3.3 GB for 16 sequences of 1024 at V = 50,257).
template <typename T>
int64_t Transformer<T>::default_output_chunk_rows(const ModelDims& dims) {
  const int64_t budget = (int64_t{256} << 20) / int64_t(sizeof(T));
  return std::max<int64_t>(64, budget / dims.vocab_size / 64 * 64);
}

template <typename T>
void Transformer<T>::set_output_chunk_rows(int64_t rows) {
  if (rows < 1) throw UsageError("model: the output head needs chunks of at least one row");
  acts_ = std::make_unique<Activations>(backend_, dims_, max_micro_batch_, rows);
  last_b_ = last_t_ = 0;
}

template <typename T>
Transformer<T>::~Transformer() = default;

template <typename T>
void Transformer<T>::initialize(uint64_t seed, double init_scale) {
  std::vector<T> host;
  initialize_parameters(host, table_, seed, init_scale);
  set_parameters(host);
}

template <typename T>
void Transformer<T>::set_parameters(const std::vector<T>& host) {
  if (int64_t(host.size()) != table_.total())
    throw std::invalid_argument("set_parameters: " + std::to_string(host.size()) +
                                " values for a model of " + std::to_string(table_.total()));
  params_.upload(host.data(), host.size());
}

template <typename T>
std::vector<T> Transformer<T>::parameters() const {
  std::vector<T> host(params_.size());
  params_.download(host.data(), host.size());
  return host;
}

template <typename T>
std::vector<T> Transformer<T>::gradients() const {
  std::vector<T> host(grads_.size());
  grads_.download(host.data(), host.size());
  return host;
}

template <typename T>
void Transformer<T>::zero_grad() {
  grads_.zero();
}

template <typename T>
double Transformer<T>::gradient_norm() {
  return std::sqrt(backend_.sum_squares(grads_.data(), int64_t(grads_.size())));
}

template <typename T>
void Transformer<T>::output_head(int64_t N, HeadPass pass, double grad_scale) {
  const int64_t C = dims_.d_model, V = dims_.vocab_size;
  auto& a = *acts_;
  auto& be = backend_;
  T* P = params_.data();
  T* G = grads_.data();
  const int64_t chunk = a.output_chunk_rows;
  // A backward after a plain forward finds the forward's probabilities only if there was one chunk.
  const bool logits = pass != HeadPass::backward || !(N <= chunk && a.logits_hold_probs);
  const bool gradient = pass != HeadPass::loss;
  if (gradient) be.zero_bytes(a.dln.data(), size_t(N * C) * sizeof(T));
  for (int64_t row = 0; row < N; row += chunk) {
    const int64_t n = std::min(chunk, N - row);
    if (logits) {
      be.matmul_forward(a.logits.data(), a.lnf.in(row * C), P + lm_head_, n, C, V);
      be.cross_entropy_forward(a.losses.data() + row, a.logits.data(), a.targets.data() + row, n, V);
    }
    if (!gradient) continue;
    be.cross_entropy_backward(a.logits.data(), a.targets.data() + row, grad_scale, n, V);
    be.matmul_backward(a.dln.data() + row * C, G + lm_head_, a.logits.data(), a.lnf.in(row * C), P + lm_head_, n,
                       C, V);
  }
  a.logits_hold_probs = !gradient && N <= chunk;
  if (!gradient) return;
  be.zero_bytes(a.dres.data(), size_t(N * C) * sizeof(T));
  be.rmsnorm_backward(a.dres.data(), G + final_norm_, a.dln.data(), a.residual[dims_.n_blocks].data(),
                      P + final_norm_, a.rstdf.data(), N, C);
}

template <typename T>
LossSum Transformer<T>::forward(const int32_t* tokens, const int32_t* targets, int64_t b, int64_t t) {
  return forward(tokens, targets, b, t, std::nullopt);
}

template <typename T>
LossSum Transformer<T>::forward(const int32_t* tokens, const int32_t* targets, int64_t b, int64_t t,
                                std::optional<double> grad_scale) {
  head_grad_scale_.reset();
  if (b < 1 || b > max_micro_batch_ || t < 1 || t > dims_.seq_len)
    throw std::invalid_argument("forward: batch " + std::to_string(b) + "x" + std::to_string(t) +
                                " exceeds the model's " + std::to_string(max_micro_batch_) + "x" +
                                std::to_string(dims_.seq_len));
  const int64_t N = b * t, C = dims_.d_model, V = dims_.vocab_size;
  const int64_t H = dims_.n_heads, D = dims_.head_dim;
  LossSum result;
  for (int64_t i = 0; i < N; ++i) {
    if (tokens[i] < 0 || tokens[i] >= V || targets[i] >= V)
      throw UsageError("token id " + std::to_string(tokens[i] < 0 || tokens[i] >= V ? tokens[i] : targets[i]) +
                       " at position " + std::to_string(i) + " is outside the vocabulary of " +
                       std::to_string(V));
    if (targets[i] >= 0) ++result.count;
  }
  auto& a = *acts_;
  auto& be = backend_;
  a.tokens.upload(tokens, size_t(N));
  a.targets.upload(targets, size_t(N));
  T* P = params_.data();

  be.embedding_forward(a.residual[0].data(), a.tokens.data(), P + tok_embedding_, N, C);
  for (int64_t l = 0; l < dims_.n_blocks; ++l) {
    const auto w = block_weights(P, l);
    auto& s = a.blocks[l];
    const T* x = a.residual[l].data();
    T* tmp = a.scratch.data();
    be.rmsnorm_forward(s.ln1.out(), s.rstd1.data(), x, w.attn_norm, N, C, kNormEps);
    be.matmul_forward(tmp, s.ln1.in(), w.wq, N, C, C);
    be.rope_forward(s.q.data(), tmp, b, t, H, D, kRopeTheta);
    be.matmul_forward(tmp, s.ln1.in(), w.wk, N, C, C);
    be.rope_forward(s.k.data(), tmp, b, t, H, D, kRopeTheta);
    be.matmul_forward(s.v.data(), s.ln1.in(), w.wv, N, C, C);
    be.attention_forward(s.att.data(), s.attn_state.data(), s.q.data(), s.k.data(), s.v.data(), b, t, H, D);
    be.matmul_forward(tmp, s.att.data(), w.wo, N, C, C);
    be.add_forward(s.mid.data(), x, tmp, N * C);
    be.rmsnorm_forward(s.ln2.out(), s.rstd2.data(), s.mid.data(), w.ffn_norm, N, C, kNormEps);
    if (dims_.moe()) {
      auto& layer = *moe_[size_t(l)];
      layer.forward(s.ln2.in().template as<T>(), tmp, w.experts, N, training_);
      be.add_forward(a.residual[l + 1].data(), s.mid.data(), tmp, N * C);
      if (training_) {
        const auto& r = layer.routing();
        moe_stats_.choices[l] += N * r.choices;
        moe_stats_.dropped[l] += r.dropped;
        for (int64_t e = 0; e < r.experts; ++e) moe_stats_.load[l][e] += r.load[e];
        moe_stats_.aux_loss[l] += r.aux_loss * double(N);
        moe_stats_.z_loss[l] += r.z_loss * double(N);
        if (l == 0) moe_stats_.tokens += N;
      }
      continue;
    }
    // The dense feed-forward: the experts' grouped SwiGLU with one group of every row.
    ffn_[size_t(l)]->forward(tmp, s.ln2.in(), w.ffn, &N, 1);
    be.add_forward(a.residual[l + 1].data(), s.mid.data(), tmp, N * C);
  }
  be.rmsnorm_forward(a.lnf.out(), a.rstdf.data(), a.residual[dims_.n_blocks].data(), P + final_norm_, N, C,
                     kNormEps);
  // Output head and loss, a chunk of rows at a time: the full [N, V] softmax never exists. In
  // training (forward_backward) each chunk's gradient follows at once, so nothing is recomputed.
  if (grad_scale) output_head(N, HeadPass::loss_and_gradient, *grad_scale);
  else output_head(N, HeadPass::loss);
  result.sum = be.sum(a.losses.data(), N);
  head_grad_scale_ = grad_scale;
  last_b_ = b;
  last_t_ = t;
  return result;
}

template <typename T>
void Transformer<T>::backward(double loss_scale) {
  backward(loss_scale, {});
}

template <typename T>
void Transformer<T>::backward(double loss_scale, const std::function<void(int64_t block)>& block_done) {
  if (last_b_ == 0) throw std::logic_error("backward() without a forward() before it");
  const int64_t b = last_b_, t = last_t_;
  last_b_ = last_t_ = 0;
  const int64_t N = b * t, C = dims_.d_model;
  const int64_t H = dims_.n_heads, D = dims_.head_dim;
  auto& a = *acts_;
  auto& be = backend_;
  // Backward operations accumulate, so each scratch gradient is cleared before it is reused.
  auto clear = [&](DeviceArray<T>& g, int64_t n) { be.zero_bytes(g.data(), size_t(n) * sizeof(T)); };
  T* P = params_.data();
  T* G = grads_.data();

  if (!head_grad_scale_) {
    output_head(N, HeadPass::backward, loss_scale);
  } else if (*head_grad_scale_ != loss_scale) {
    throw std::logic_error("backward(): the loss scale differs from the one the forward's output head used");
  }
  head_grad_scale_.reset();

  // dres holds d loss / d (residual stream); each block adds its branches' gradients into it,
  // which is exactly the residual connection's backward.
  for (int64_t l = dims_.n_blocks - 1; l >= 0; --l) {
    const auto w = block_weights(P, l);
    const auto dw = block_weights(G, l);
    auto& s = a.blocks[l];
    // Feed-forward or expert branch: residual[l+1] = mid + FFN(ln2) or MoE(ln2).
    clear(a.dln, N * C);
    if (dims_.moe())
      moe_[size_t(l)]->backward(a.dres.data(), a.dln.data(), w.experts, dw.experts, loss_scale);
    else
      ffn_[size_t(l)]->backward(a.dln.data(), dw.ffn, a.dres.data(), w.ffn);
    be.rmsnorm_backward(a.dres.data(), dw.ffn_norm, a.dln.data(), s.mid.data(), w.ffn_norm, s.rstd2.data(), N, C);
    // Attention branch: mid = residual[l] + W_o·attention(rope(W_q·ln1), rope(W_k·ln1), W_v·ln1).
    clear(a.datt, N * C);
    be.matmul_backward(a.datt.data(), dw.wo, a.dres.data(), s.att.data(), w.wo, N, C, C);
    clear(a.dq, N * C);
    clear(a.dk, N * C);
    clear(a.dv, N * C);
    be.attention_backward(a.dq.data(), a.dk.data(), a.dv.data(), a.datt.data(), s.att.data(),
                          s.attn_state.data(), s.q.data(), s.k.data(), s.v.data(), b, t, H, D);
    clear(a.dln, N * C);
    clear(a.drot, N * C);
    be.rope_backward(a.drot.data(), a.dq.data(), b, t, H, D, kRopeTheta);
    be.matmul_backward(a.dln.data(), dw.wq, a.drot.data(), s.ln1.in(), w.wq, N, C, C);
    clear(a.drot, N * C);
    be.rope_backward(a.drot.data(), a.dk.data(), b, t, H, D, kRopeTheta);
    be.matmul_backward(a.dln.data(), dw.wk, a.drot.data(), s.ln1.in(), w.wk, N, C, C);
    be.matmul_backward(a.dln.data(), dw.wv, a.dv.data(), s.ln1.in(), w.wv, N, C, C);
    be.rmsnorm_backward(a.dres.data(), dw.attn_norm, a.dln.data(), a.residual[l].data(),
                        w.attn_norm, s.rstd1.data(), N, C);
    if (block_done) block_done(l);
  }
  be.embedding_backward(G + tok_embedding_, a.dres.data(), a.tokens.data(), N, C);
}

template <typename T>
typename Transformer<T>::GradientSpan Transformer<T>::head_span() const {
  return {final_norm_, table_.replicated_total() - final_norm_};
}

template <typename T>
typename Transformer<T>::GradientSpan Transformer<T>::block_span(int64_t block) const {
  return block_spans_[size_t(block)];
}

template <typename T>
typename Transformer<T>::GradientSpan Transformer<T>::embedding_span() const {
  return {tok_embedding_, table_.at("tok_embedding").size};
}

template <typename T>
LossSum Transformer<T>::forward_backward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t t,
                                         std::optional<double> loss_scale,
                                         const GradientsReady& on_gradients_ready) {
  int64_t count = 0;
  for (int64_t i = 0; i < B * t; ++i) count += targets[i] >= 0;
  // Buckets hold whole values: round the byte size up.
  std::optional<GradientBuckets> buckets;
  if (on_gradients_ready)
    buckets.emplace(on_gradients_ready, table_.replicated_total(),
                    (gradient_bucket_bytes_ + int64_t(sizeof(T)) - 1) / int64_t(sizeof(T)));
  // Finished in the order backward finishes them, from the buffer's end toward its start.
  auto report = [&](GradientSpan span) {
    if (buckets) buckets->add(span.first, span.count);
  };
  auto report_blocks = [&](int64_t block) { report(block_span(block)); };
  LossSum total;
  if (count == 0) {
    // Nothing to add here, but other ranks may wait on these ranges: they are final as they are.
    report(head_span());
    for (int64_t l = dims_.n_blocks - 1; l >= 0; --l) report_blocks(l);
  } else {
    // Every micro-batch scales by the same count, so the sum of their gradients is the
    // gradient of the batch's (or the global batch's) mean whatever the split.
    const double scale = loss_scale ? *loss_scale : 1.0 / double(count);
    for (int64_t start = 0; start < B; start += max_micro_batch_) {
      const int64_t b = std::min(max_micro_batch_, B - start);
      const bool last = start + b >= B;
      const LossSum part = forward(tokens + start * t, targets + start * t, b, t, scale);
      if (last) report(head_span());  // the fused forward ran the head's backward
      backward(scale, last && buckets ? std::function<void(int64_t)>(report_blocks) : nullptr);
      total.sum += part.sum;
      total.count += part.count;
    }
  }
  report(embedding_span());
  if (buckets) buckets->flush();
  return total;
}

template <typename T>
LossSum Transformer<T>::evaluate(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t t) {
  LossSum total;
  training_ = false;  // dropless routing, no statistics
  struct Restore {
    bool& flag;
    ~Restore() { flag = true; }
  } restore{training_};
  for (int64_t start = 0; start < B; start += max_micro_batch_) {
    const int64_t b = std::min(max_micro_batch_, B - start);
    const LossSum part = forward(tokens + start * t, targets + start * t, b, t);
    total.sum += part.sum;
    total.count += part.count;
  }
  last_b_ = last_t_ = 0;
  return total;
}

template class Transformer<float>;
template class Transformer<double>;

}  // namespace moelaw::model
