#include "config/run_config.hpp"

#include <string>

namespace moelaw::config {

namespace {
using S = std::string;
std::vector<int64_t> ints(std::initializer_list<int64_t> v) { return v; }
// 10^15 tokens, a hundred times the largest published runs: token counts times 6 N and the
// schedule's arithmetic stay far from int64 and double overflow (near 2^63 they wrap).
constexpr double kMaxTokens = 1e15;
}  // namespace

const Schema& run_schema() {
  static const Schema schema = {
      // model: DESIGN.md's architecture; 0 means "derive from d_model".
      {"model.d_model", Type::Integer, Value{int64_t{768}}, 1, 1 << 16, {}, "model width"},
      {"model.n_blocks", Type::Integer, Value{int64_t{0}}, 0, 1024, {}, "blocks; 0 = d_model/head_dim"},
      {"model.n_heads", Type::Integer, Value{int64_t{0}}, 0, 1024, {}, "heads; 0 = d_model/head_dim"},
      {"model.head_dim", Type::Integer, Value{int64_t{64}}, 1, 1024, {}, "attention head size"},
      {"model.seq_len", Type::Integer, Value{int64_t{1024}}, 2, 1 << 20, {}, "context length"},
      {"model.vocab_size", Type::Integer, Value{int64_t{50257}}, 2, 65536, {}, "vocabulary (uint16 shards)"},
      {"model.experts", Type::Integer, Value{int64_t{1}}, 1, 4096, {}, "experts per MoE layer; 1 = dense"},
      {"model.top_k", Type::Integer, Value{int64_t{1}}, 1, 4096, {}, "experts per token"},
      {"model.granularity", Type::Integer, Value{int64_t{1}}, 1, 64, {}, "expert split factor G"},
      {"model.capacity_factor", Type::Real, Value{1.0}, 0.01, 1000, {}, "expert capacity factor (training)"},
      {"model.aux_loss_weight", Type::Real, Value{0.01}, 0, 100, {}, "load-balancing loss weight"},
      {"model.z_loss_weight", Type::Real, Value{0.001}, 0, 100, {}, "router z-loss weight"},
      {"model.init_scale", Type::Real, Value{0.1}, 0, 10, {}, "truncated-normal init scale"},
      // data: shard globs in the llm.c layout.
      {"data.train", Type::StringList, Value{std::vector<S>{}}, {}, {}, {}, "training shard globs"},
      {"data.val", Type::StringList, Value{std::vector<S>{}}, {}, {}, {}, "validation shard globs"},
      // train: schedule and optimizer.
      {"train.tokens", Type::Integer, std::nullopt, 1, kMaxTokens, {}, "training tokens D"},
      {"train.lr", Type::RealOrAuto, Value{S("auto")}, 0, 10, {}, "peak LR, or \"auto\" (LR law)"},
      {"train.seed", Type::Integer, Value{int64_t{1234}}, 0, {}, {}, "random seed"},
      {"train.warmup_tokens", Type::Integer, Value{int64_t{130'000'000}}, 0, kMaxTokens, {}, "linear warm-up"},
      {"train.decay_fraction", Type::Real, Value{0.2}, 0, 1, {}, "final fraction with linear decay to 0 (0: constant-LR trunk)"},
      {"train.batch_ramp_tokens", Type::IntegerList, Value{ints({0, 500'000'000, 1'000'000'000})}, 0, kMaxTokens, {}, "ramp points"},
      {"train.batch_ramp_sizes", Type::IntegerList, Value{ints({65536, 131072, 262144})}, 1, kMaxTokens, {}, "tokens per step"},
      {"train.micro_batch", Type::Integer, Value{int64_t{0}}, 0, {}, {}, "sequences per micro-step and rank"},
      {"train.weight_decay", Type::Real, Value{0.1}, 0, 10, {}, "AdamW decoupled weight decay"},
      {"train.beta1", Type::Real, Value{0.9}, 0, 0.999999, {}, "AdamW beta1"},
      {"train.beta2", Type::Real, Value{0.95}, 0, 0.999999, {}, "AdamW beta2"},
      {"train.eps", Type::Real, Value{1e-8}, 0, 1, {}, "AdamW epsilon"},
      {"train.grad_clip", Type::Real, Value{1.0}, 0, {}, {}, "global-norm clip; 0 = off"},
      {"train.backend", Type::String, Value{S("auto")}, {}, {}, {"cpu", "cuda", "auto"}, "compute backend"},
      {"train.precision", Type::String, Value{S("auto")}, {}, {}, {"fp32", "bf16", "auto"}, "number format: auto = bf16 on the GPU, fp32 on the CPU"},
      {"train.eval_interval_steps", Type::Integer, Value{int64_t{100}}, 0, {}, {}, "0 = only at the end"},
      {"train.eval_tokens", Type::Integer, Value{int64_t{1'048'576}}, 0, kMaxTokens, {}, "held-out tokens per evaluation"},
      {"train.log_interval_steps", Type::Integer, Value{int64_t{10}}, 1, {}, {}, "progress line interval"},
      // checkpoint: interval, retention, pinned milestones.
      {"checkpoint.interval_steps", Type::Integer, Value{int64_t{0}}, 0, {}, {}, "0 = off"},
      {"checkpoint.interval_tokens", Type::Integer, Value{int64_t{0}}, 0, kMaxTokens, {}, "0 = off"},
      {"checkpoint.keep_last", Type::Integer, Value{int64_t{2}}, 1, {}, {}, "checkpoints kept besides pins"},
      {"checkpoint.pin_tokens", Type::IntegerList, Value{std::vector<int64_t>{}}, 1, kMaxTokens, {}, "milestones kept"},
      // parallel layout.
      {"parallel.expert", Type::Integer, Value{int64_t{1}}, 1, 4096, {}, "ranks per expert-parallel group"},
      {"parallel.transport", Type::String, Value{S("auto")}, {}, {}, {"auto", "mpi", "nccl"},
       "GPU buffer exchange: auto = nccl with one GPU per rank on the cuda backend, else mpi (staged in host memory)"},
  };
  return schema;
}

RunConfig to_run_config(const Resolved& r) {
  RunConfig c;
  auto& m = c.model;
  m.d_model = r.integer("model.d_model");
  m.head_dim = r.integer("model.head_dim");
  m.seq_len = r.integer("model.seq_len");
  m.vocab_size = r.integer("model.vocab_size");
  m.experts = r.integer("model.experts");
  m.top_k = r.integer("model.top_k");
  m.granularity = r.integer("model.granularity");
  m.capacity_factor = r.real("model.capacity_factor");
  m.aux_loss_weight = r.real("model.aux_loss_weight");
  m.z_loss_weight = r.real("model.z_loss_weight");
  m.init_scale = r.real("model.init_scale");
  if (m.d_model % m.head_dim != 0)
    r.fail("model.d_model", "must be a multiple of model.head_dim (" + std::to_string(m.head_dim) +
                                "), got " + std::to_string(m.d_model));
  m.n_heads = r.integer("model.n_heads");
  if (m.n_heads == 0) m.n_heads = m.d_model / m.head_dim;
  if (m.n_heads * m.head_dim != m.d_model)
    r.fail("model.n_heads", "n_heads * head_dim must equal d_model (" + std::to_string(m.n_heads) +
                                " * " + std::to_string(m.head_dim) + " != " +
                                std::to_string(m.d_model) + ")");
  if (m.head_dim % 2 != 0) r.fail("model.head_dim", "must be even (rotary embeddings pair dimensions)");
  m.n_blocks = r.integer("model.n_blocks");
  if (m.n_blocks == 0) m.n_blocks = m.d_model / m.head_dim;
  if (m.top_k > m.experts)
    r.fail("model.top_k", "must not exceed model.experts (" + std::to_string(m.experts) + ")");
  if ((3 * m.d_model) % m.granularity != 0)
    r.fail("model.granularity", "must divide the feed-forward size 3*d_model = " +
                                    std::to_string(3 * m.d_model));
  if (m.granularity > 1 && m.experts == 1)
    r.fail("model.granularity", "needs model.experts > 1 (granularity splits experts)");

  c.data.train = r.strings("data.train");
  c.data.val = r.strings("data.val");

  auto& t = c.train;
  t.tokens = r.integer("train.tokens");
  t.lr_auto = r.is_auto("train.lr");
  t.lr = t.lr_auto ? 0.0 : r.real("train.lr");
  if (!t.lr_auto && t.lr <= 0) r.fail("train.lr", "must be positive");
  t.seed = r.integer("train.seed");
  t.warmup_tokens = r.integer("train.warmup_tokens");
  t.decay_fraction = r.real("train.decay_fraction");
  t.batch_ramp_tokens = r.integers("train.batch_ramp_tokens");
  t.batch_ramp_sizes = r.integers("train.batch_ramp_sizes");
  if (t.batch_ramp_tokens.size() != t.batch_ramp_sizes.size() || t.batch_ramp_tokens.empty())
    r.fail("train.batch_ramp_sizes", "must have as many entries as train.batch_ramp_tokens (and at least one)");
  if (t.batch_ramp_tokens.front() != 0) r.fail("train.batch_ramp_tokens", "must start at 0");
  for (size_t i = 0; i < t.batch_ramp_tokens.size(); ++i) {
    if (i > 0 && t.batch_ramp_tokens[i] <= t.batch_ramp_tokens[i - 1])
      r.fail("train.batch_ramp_tokens", "must be strictly increasing");
    if (t.batch_ramp_sizes[i] % m.seq_len != 0)
      r.fail("train.batch_ramp_sizes", "entry " + std::to_string(t.batch_ramp_sizes[i]) +
                                           " is not a multiple of model.seq_len (" +
                                           std::to_string(m.seq_len) + ")");
  }
  t.micro_batch = r.integer("train.micro_batch");
  t.weight_decay = r.real("train.weight_decay");
  t.beta1 = r.real("train.beta1");
  t.beta2 = r.real("train.beta2");
  t.eps = r.real("train.eps");
  t.grad_clip = r.real("train.grad_clip");
  t.backend = r.string("train.backend");
  t.precision = r.string("train.precision");
  if (t.precision == "bf16" && t.backend == "cpu")
    r.fail("train.precision", "bf16 needs the cuda backend (the CPU reference computes in fp32)");
  t.eval_interval_steps = r.integer("train.eval_interval_steps");
  t.eval_tokens = r.integer("train.eval_tokens");
  t.log_interval_steps = r.integer("train.log_interval_steps");

  auto& k = c.checkpoint;
  k.interval_steps = r.integer("checkpoint.interval_steps");
  k.interval_tokens = r.integer("checkpoint.interval_tokens");
  k.keep_last = r.integer("checkpoint.keep_last");
  k.pin_tokens = r.integers("checkpoint.pin_tokens");
  for (int64_t p : k.pin_tokens)
    if (p > t.tokens)
      r.fail("checkpoint.pin_tokens", "milestone " + std::to_string(p) +
                                          " lies beyond train.tokens (" + std::to_string(t.tokens) + ")");

  c.parallel.expert = r.integer("parallel.expert");
  c.parallel.transport = r.string("parallel.transport");
  if (c.parallel.transport == "nccl" && t.backend == "cpu")
    r.fail("parallel.transport", "nccl moves GPU buffers and needs the cuda backend (train.backend is \"cpu\")");
  const int64_t total_experts = m.experts * m.granularity;
  if (total_experts % c.parallel.expert != 0)
    r.fail("parallel.expert", "the " + std::to_string(total_experts) +
                                  " experts (model.experts * model.granularity) are not divisible by " +
                                  std::to_string(c.parallel.expert) + " expert-parallel ranks");
  c.resolved_toml = r.to_toml();
  return c;
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  return to_run_config(load_file(run_schema(), path, overrides));
}

}  // namespace moelaw::config
