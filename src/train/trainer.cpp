#include "train/trainer.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "backend/backend.hpp"
#include "backend/registry.hpp"
#include "checkpoint/checkpoint_file.hpp"
#include "common/errors.hpp"
#include "data/sequence_stream.hpp"
#include "model/param_count.hpp"
#include "model/transformer.hpp"
#include "parallel/exchange_factory.hpp"
#include "train/adamw.hpp"
#include "train/checkpoint_state.hpp"
#include "train/metrics_log.hpp"
#include "train/run_dir.hpp"
#include "train/schedule.hpp"
#include "train/stop_request.hpp"

namespace fs = std::filesystem;

namespace moelaw::train {

namespace {

using Clock = std::chrono::steady_clock;

// Where the training state stands between steps: everything a checkpoint must hold besides the
// weights and optimizer moments. The data order is a pure function of (seed, cursor), so the
// cursor is the whole random state of the data path; initialisation depends on the seed alone.
struct Progress {
  int64_t step = 0;
  int64_t tokens = 0;
  int64_t cursor = 0;  // training sequences consumed
};

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  return buf;
}

// This process's index among the ranks on its node (picks its GPU): what mpirun or srun says,
// else the world rank (one node).
int rank_on_node_from_env(int world_rank) {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"})
    if (const char* v = std::getenv(name)) return std::atoi(v);
  return world_rank;
}

class Trainer {
 public:
  Trainer(const config::RunConfig& cfg, const TrainOptions& opt, parallel::Communicator& world)
      : cfg_(cfg), opt_(opt), world_(world), run_(opt.run_dir), dims_(model::dims_from_config(cfg.model)),
        counts_(model::count_parameters({cfg.model.d_model, cfg.model.n_blocks, cfg.model.vocab_size,
                                         cfg.model.experts, cfg.model.top_k, cfg.model.granularity})),
        schedule_{0, cfg.train.tokens, cfg.train.warmup_tokens, cfg.train.decay_fraction,
                  cfg.train.batch_ramp_tokens, cfg.train.batch_ramp_sizes, cfg.model.seq_len} {
    schedule_.peak_lr = cfg.train.lr_auto ? counts_.lr : cfg.train.lr;
    if (cfg.model.experts > 1) {
      // Ranks sharing experts exchange tokens in every MoE layer, so each must run the same
      // micro-batches: every step's sequences split evenly over the ranks.
      for (int64_t size : cfg.train.batch_ramp_sizes)
        if ((size / cfg.model.seq_len) % world.size() != 0)
          throw UsageError("train.batch_ramp_sizes: " + std::to_string(size / cfg.model.seq_len) +
                           " sequences per step do not split evenly over " + std::to_string(world.size()) +
                           " ranks, which an MoE model needs (rank " + std::to_string(world.rank()) + ")");
      if (cfg.train.tokens % (cfg.model.seq_len * world.size()) != 0)
        throw UsageError("train.tokens must be a multiple of seq_len x ranks for an MoE model");
      // Consecutive ranks split the experts; the ranks at the same place in every group hold the
      // same experts, and sum those experts' gradients among themselves.
      expert_group_ = world.split(static_cast<int>(world.rank() / cfg.parallel.expert), world.rank());
      expert_replicas_ = world.split(static_cast<int>(world.rank() % cfg.parallel.expert), world.rank());
    }
  }

  int run() {
    const bool lead = world_.rank() == 0;
    // From the start: a preemption signal during set-up must not kill the process outright.
    install_stop_handlers();
    if (run_.complete()) {
      const int64_t done = run_.summary().value("tokens", int64_t{0});
      if (done >= cfg_.train.tokens) {
        if (lead) std::printf("%s: run already complete, nothing to do\n", run_.path().c_str());
        return kExitOk;
      }
      // A constant-LR trunk of a grid that gained a longer length continues from its last
      // checkpoint; a run that has decayed its LR cannot honestly be made longer.
      if (!opt_.resume || cfg_.train.decay_fraction != 0)
        throw UsageError(run_.path() + ": the run is complete at " + std::to_string(done) +
                         " tokens; only a constant-LR run (train.decay_fraction = 0) resumed with --resume auto "
                         "can be extended to train.tokens = " + std::to_string(cfg_.train.tokens));
      if (lead) std::printf("%s: extending the complete constant-LR run from %lld to %lld tokens\n", run_.path().c_str(),
                            static_cast<long long>(done), static_cast<long long>(cfg_.train.tokens));
    }
    open_data();
    build_model();
    restore_or_initialize();
    if (lead) {
      run_.create();
      RunDir::write_file_atomically(run_.config_path(), cfg_.resolved_toml);
      const auto& table = model_->table();
      std::string held;
      if (table.experts_split())
        held = " (" + std::to_string(table.total()) + " on each rank: experts split over " +
               std::to_string(expert_group_->size()) + " ranks)";
      std::printf("run %s: %lld parameters%s (%lld active non-embedding), peak LR %.6g, %lld tokens, %d rank%s\n",
                  run_.path().c_str(), static_cast<long long>(table.full_total()), held.c_str(),
                  static_cast<long long>(counts_.n_act_nonembedding), schedule_.peak_lr,
                  static_cast<long long>(cfg_.train.tokens), world_.size(), world_.size() > 1 ? "s" : "");
      std::fflush(stdout);
    }
    const auto started = Clock::now();
    const int64_t tokens_at_start = progress_.tokens;
    while (progress_.tokens < cfg_.train.tokens) {
      const auto t0 = Clock::now();
      const int64_t tokens_before = progress_.tokens;
      auto [loss, lr, norm] = train_step();
      double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      metrics_.steps.push_back({progress_.step, progress_.tokens, loss, lr, norm,
                                static_cast<double>(progress_.tokens - tokens_before) / std::max(seconds, 1e-9)});
      const bool last = progress_.tokens >= cfg_.train.tokens;
      const auto& t = cfg_.train;
      if (!last && t.eval_interval_steps > 0 && progress_.step % t.eval_interval_steps == 0) evaluate();
      if (lead && (progress_.step % t.log_interval_steps == 0 || last || progress_.step == 1)) {
        double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        double rate = static_cast<double>(progress_.tokens - tokens_at_start) / std::max(elapsed, 1e-9);
        std::string moe = dims_.moe() ? " | dropped " + std::to_string(100.0 * last_dropped_fraction_).substr(0, 5) + "%" : "";
        std::printf("step %6lld | tokens %12lld/%lld | loss %.6f | lr %.3e | grad norm %.3f%s | %.0f tok/s | ETA %s\n",
                    static_cast<long long>(progress_.step), static_cast<long long>(progress_.tokens),
                    static_cast<long long>(t.tokens), loss, lr, norm, moe.c_str(), rate,
                    format_duration(static_cast<double>(t.tokens - progress_.tokens) / rate).c_str());
        std::fflush(stdout);
      }
      // Every rank must stop after the same step: agree on the flag.
      const bool stop = world_.allreduce_max(stop_requested() ? 1 : 0) > 0;
      if (last) break;
      if (stop || checkpoint_due(tokens_before)) save_checkpoint();
      if (stop) {
        if (lead) {
          metrics_.save(run_.metrics_path());
          std::fprintf(stderr, "stopped by signal %d after step %lld: checkpoint written, resume with --resume auto\n",
                       stop_signal(), static_cast<long long>(progress_.step));
        }
        return kExitPreempted;
      }
      if (lead && progress_.step % t.log_interval_steps == 0) metrics_.save(run_.metrics_path());
    }
    double final_loss = evaluate();
    save_checkpoint();
    if (lead) {
      metrics_.save(run_.metrics_path());
      write_summary(final_loss);
      std::printf("done: %lld steps, %lld tokens, held-out loss %.6f\n", static_cast<long long>(progress_.step),
                  static_cast<long long>(progress_.tokens), final_loss);
      if (dims_.moe() && world_.size() > 1) {
        double total = std::chrono::duration<double>(Clock::now() - started).count();
        // NCCL queues its transfers and returns: its figure is the host's share only.
        const bool queued = expert_exchange_ && std::string(expert_exchange_->transport()) == "nccl";
        std::printf("expert all-to-all: %.2f s of %.2f s on rank 0 (%.1f%%)%s\n", model_->moe_exchange_seconds(), total,
                    100.0 * model_->moe_exchange_seconds() / total,
                    queued ? ", host time only (NCCL runs asynchronously)" : "");
      }
    }
    return kExitOk;
  }

 private:
  void open_data() {
    auto train_files = data::expand_shard_globs(cfg_.data.train, "data.train");
    auto val_files = data::expand_shard_globs(cfg_.data.val, "data.val");
    train_ = std::make_unique<data::SequenceStream>(train_files, cfg_.model.seq_len,
                                                    static_cast<uint64_t>(cfg_.train.seed), true, cfg_.model.vocab_size);
    val_ = std::make_unique<data::SequenceStream>(val_files, cfg_.model.seq_len, 0, false, cfg_.model.vocab_size);
    eval_sequences_ = std::clamp<int64_t>(cfg_.train.eval_tokens / cfg_.model.seq_len, 1, val_->windows());
    if (cfg_.model.experts > 1) {  // evenly split over the ranks (see the constructor)
      eval_sequences_ -= eval_sequences_ % world_.size();
      if (eval_sequences_ == 0)
        throw UsageError("data.val: fewer held-out sequences than ranks (rank " + std::to_string(world_.rank()) + ")");
    }
  }

  int rank_on_node() const { return rank_on_node_from_env(world_.rank()); }

  void build_model() {
    std::string note;
    backend_ = backend::make_training_backend(cfg_.train.backend, cfg_.train.precision, rank_on_node(), &note);
    if (world_.rank() == 0 && cfg_.train.backend == "auto" && !note.empty())
      std::printf("train.backend = auto: %s\n", note.c_str());
    int64_t max_sequences = 0;
    for (int64_t size : cfg_.train.batch_ramp_sizes) max_sequences = std::max(max_sequences, size / cfg_.model.seq_len);
    const int64_t per_rank = (max_sequences + world_.size() - 1) / world_.size();
    const int64_t micro = cfg_.train.micro_batch > 0 ? cfg_.train.micro_batch : std::min<int64_t>(per_rank, 8);
    // The expert group's token exchange on the backend's buffers, by the same rule as the
    // gradients' (NCCL between GPUs of their own, else MPI staged through host memory). Collective
    // over the group; NCCL binds to the GPU the CUDA backend made current.
    if (expert_group_) {
      std::string why;
      expert_exchange_ = parallel::make_device_exchange(*expert_group_, *backend_, cfg_.parallel.transport, &why);
      if (world_.rank() == 0 && expert_group_->size() > 1)
        std::printf("expert exchange: %s\n", expert_exchange_->transport());
    }
    model_ = std::make_unique<model::Transformer<float>>(*backend_, dims_, std::max<int64_t>(1, micro),
                                                         expert_exchange_.get());
    optimizer_ = std::make_unique<AdamW>(*backend_, model_->table(),
                                         AdamWSettings{cfg_.train.beta1, cfg_.train.beta2, cfg_.train.eps,
                                                       cfg_.train.weight_decay});
    // After the backend: NCCL binds to the GPU the CUDA backend made current. Collective.
    std::string why;
    gradients_ = parallel::make_device_exchange(world_, *backend_, cfg_.parallel.transport, &why);
    // NCCL kernels of two communicators running at once (the gradients' on their own stream, the
    // experts' token exchange in the MoE backward) can deadlock when they cannot all be resident
    // on the GPU: with both over NCCL, the gradients wait for the end of backward.
    auto nccl = [](const parallel::DeviceExchange& e) { return std::string(e.transport()) == "nccl"; };
    // Only NCCL overlaps: an all-reduce staged through host memory blocks, and per bucket it
    // would only stall the GPU more often. The choice fixes the sequence of collectives on the
    // world, so every rank must make the same one (expert groups choose their transports apart).
    const bool nccl_experts = expert_exchange_ && expert_exchange_->size() > 1 && nccl(*expert_exchange_);
    const bool overlap_here = world_.size() > 1 && nccl(*gradients_) && !nccl_experts;
    overlap_gradients_ = world_.allreduce_max(overlap_here ? 0 : 1) == 0;
    // The expert tensors' gradients sum over the ranks holding the same experts (after the
    // replicated part's, so that two NCCL communicators never run at once).
    std::string why_experts;
    if (expert_replicas_ && expert_replicas_->size() > 1)
      expert_gradients_ =
          parallel::make_device_exchange(*expert_replicas_, *backend_, cfg_.parallel.transport, &why_experts);
    if (world_.rank() == 0) {
      std::string line = std::string("gradient exchange: ") + gradients_->transport();
      if (world_.size() > 1 && !why.empty()) line += " (" + why + ")";
      if (overlap_gradients_) line += ", started per bucket during backward";
      std::printf("%s\n", line.c_str());
    }
  }

  void restore_or_initialize() {
    if (opt_.resume) {
      auto files = run_.checkpoints();
      for (auto it = files.rbegin(); it != files.rend(); ++it) {
        try {
          load_state(checkpoint::CheckpointReader(*it), *it);
          metrics_ = MetricsLog::load(run_.metrics_path());
          metrics_.truncate_after(progress_.step);
          if (world_.rank() == 0)
            std::printf("resuming from %s (step %lld, %lld tokens)\n", it->c_str(),
                        static_cast<long long>(progress_.step), static_cast<long long>(progress_.tokens));
          return;
        } catch (const checkpoint::CorruptCheckpoint& e) {
          if (world_.rank() == 0)
            std::fprintf(stderr, "warning: skipping unreadable checkpoint: %s\n", e.what());
        }
      }
      if (!opt_.init_from.empty()) {
        // A branch that never checkpointed starts again from where it branched.
      } else if (world_.rank() == 0 && !files.empty()) {
        std::fprintf(stderr, "warning: no valid checkpoint in %s, starting from scratch\n", run_.checkpoint_dir().c_str());
      }
    }
    if (!opt_.init_from.empty()) {
      try {
        load_state(checkpoint::CheckpointReader(opt_.init_from), opt_.init_from);
      } catch (const checkpoint::CorruptCheckpoint& e) {
        throw UsageError(std::string("--init-from: ") + e.what());
      }
      branched_from_ = fs::absolute(opt_.init_from).string();
      if (progress_.tokens >= cfg_.train.tokens)
        throw UsageError("--init-from " + opt_.init_from + ": the checkpoint is at " +
                         std::to_string(progress_.tokens) + " tokens, not before train.tokens = " +
                         std::to_string(cfg_.train.tokens));
      return;
    }
    model_->initialize(static_cast<uint64_t>(cfg_.train.seed), cfg_.model.init_scale);
  }

  // Tensor by tensor: a rank holds at most one whole tensor of the file beyond its own values.
  void load_state(const checkpoint::CheckpointReader& in, const std::string& path) {
    const checkpoint::CheckpointData& ckpt = in.attributes();
    check_compatible(cfg_, ckpt, path);
    const OptimizerValues values = take_tensors(model_->table(), in, path);
    auto integer = [&](const char* key) {
      auto it = ckpt.integers.find(key);
      if (it == ckpt.integers.end()) throw checkpoint::CorruptCheckpoint(path + ": no attribute " + key);
      return it->second;
    };
    model_->set_parameters(values.params);
    optimizer_->restore(values.m, values.v, integer("adam_steps"));
    progress_ = {integer("step"), integer("tokens"), integer("data_cursor")};
    auto from = ckpt.strings.find("branched_from");
    if (from != ckpt.strings.end()) branched_from_ = from->second;
  }

  // One optimizer step over the global batch; returns (mean loss, lr, gradient norm before clipping).
  std::tuple<double, double, double> train_step() {
    const int64_t T = cfg_.model.seq_len;
    const int64_t step_tokens = schedule_.step_tokens(progress_.tokens);
    const double lr = schedule_.lr(progress_.tokens);
    const int64_t sequences = step_tokens / T;
    // Rank r trains on a contiguous slice of the step's sequences; the slices tile the batch, so
    // the global batch is the same on any number of ranks.
    const int64_t P = world_.size(), r = world_.rank();
    const int64_t first = sequences * r / P, count = sequences * (r + 1) / P - first;
    batch_.resize(static_cast<size_t>(std::max<int64_t>(count, 1) * (T + 1)));
    train_->read(progress_.cursor + first, count, batch_.data());
    split_inputs_targets(count);

    model_->zero_grad();
    model_->reset_moe_stats();
    // The global target count first (the targets are on the host: one small all-reduce), so that
    // each rank's gradient is its share of d(global mean loss)/dθ and the sum over ranks is final.
    double global_targets = static_cast<double>(
        std::count_if(targets_.begin(), targets_.begin() + count * T, [](int32_t target) { return target >= 0; }));
    world_.allreduce_sum(&global_targets, 1);
    const double loss_scale = global_targets > 0 ? 1.0 / global_targets : 0.0;
    // The gradients live in the backend's memory (on the GPU for CUDA): never hand them to MPI
    // directly. With overlap, each bucket's all-reduce starts as backward finishes it.
    model::GradientsReady reduce_bucket;
    if (overlap_gradients_)
      reduce_bucket = [this](int64_t offset, int64_t values) {
        gradients_->start_allreduce_sum(model_->grads() + offset, static_cast<size_t>(values));
      };
    const model::LossSum local = model_->forward_backward(inputs_.data(), targets_.data(), count, T, loss_scale,
                                                          reduce_bucket);
    const int64_t n = model_->table().total(), replicated = model_->table().replicated_total();
    if (P > 1 && !overlap_gradients_) gradients_->allreduce_sum(model_->grads(), static_cast<size_t>(replicated));
    gradients_->finish_allreduces();  // the norm and the optimizer read the sums
    if (expert_gradients_) expert_gradients_->allreduce_sum(model_->grads() + replicated, size_t(n - replicated));
    double sums[2] = {local.sum, static_cast<double>(local.count)};
    world_.allreduce_sum(sums, 2);
    const double norm = gradient_norm();
    if (cfg_.train.grad_clip > 0 && norm > cfg_.train.grad_clip)
      backend_->scale(model_->grads(), n, cfg_.train.grad_clip / norm);
    optimizer_->step(model_->params(), model_->grads(), lr);

    progress_.step += 1;
    progress_.tokens += step_tokens;
    progress_.cursor += sequences;
    if (dims_.moe()) record_moe_stats();
    return {sums[0] / sums[1], lr, norm};
  }

  // √(Σ g²) over the whole model: the replicated part, which every rank holds summed, plus every
  // expert, whose shards lie on the ranks of the expert group.
  double gradient_norm() {
    const int64_t n = model_->table().total(), replicated = model_->table().replicated_total();
    double experts = n > replicated ? backend_->sum_squares(model_->grads() + replicated, n - replicated) : 0.0;
    if (expert_group_ && expert_group_->size() > 1) expert_group_->allreduce_sum(&experts, 1);
    return std::sqrt(backend_->sum_squares(model_->grads(), replicated) + experts);
  }

  // Per-layer dropped fraction, per-expert load and the auxiliary losses of the step, over all ranks.
  void record_moe_stats() {
    const auto& st = model_->moe_stats();
    const size_t L = st.choices.size(), E = static_cast<size_t>(dims_.experts);
    std::vector<double> v;
    v.push_back(static_cast<double>(st.tokens));
    for (size_t l = 0; l < L; ++l) {
      v.push_back(static_cast<double>(st.choices[l]));
      v.push_back(static_cast<double>(st.dropped[l]));
      v.push_back(st.aux_loss[l]);
      v.push_back(st.z_loss[l]);
      for (size_t e = 0; e < E; ++e) v.push_back(static_cast<double>(st.load[l][e]));
    }
    world_.allreduce_sum(v.data(), v.size());
    const double tokens = v[0];
    size_t at = 1;
    double dropped_total = 0, choices_total = 0;
    for (size_t l = 0; l < L; ++l) {
      const std::string p = "moe/layer" + std::to_string(l) + "/";
      const double choices = v[at++], dropped = v[at++], aux = v[at++], z = v[at++];
      metrics_.series[p + "dropped_fraction"].push_back(dropped / choices);
      metrics_.series[p + "aux_loss"].push_back(aux / tokens);
      metrics_.series[p + "z_loss"].push_back(z / tokens);
      for (size_t e = 0; e < E; ++e) metrics_.series[p + "load/expert" + std::to_string(e)].push_back(v[at++] / choices);
      dropped_total += dropped;
      choices_total += choices;
    }
    last_dropped_fraction_ = dropped_total / choices_total;
  }

  void split_inputs_targets(int64_t count) {
    const int64_t T = cfg_.model.seq_len;
    inputs_.resize(static_cast<size_t>(std::max<int64_t>(count, 1) * T));
    targets_.resize(inputs_.size());
    for (int64_t s = 0; s < count; ++s) {
      const int32_t* window = batch_.data() + s * (T + 1);
      std::copy(window, window + T, inputs_.data() + s * T);
      std::copy(window + 1, window + T + 1, targets_.data() + s * T);
    }
  }

  // Mean loss over the fixed held-out sequences, split over the ranks.
  double evaluate() {
    const int64_t T = cfg_.model.seq_len, P = world_.size(), r = world_.rank();
    const int64_t first = eval_sequences_ * r / P, count = eval_sequences_ * (r + 1) / P - first;
    batch_.resize(static_cast<size_t>(std::max<int64_t>(count, 1) * (T + 1)));
    val_->read(first, count, batch_.data());
    split_inputs_targets(count);
    model::LossSum local;
    if (count > 0) local = model_->evaluate(inputs_.data(), targets_.data(), count, T);
    double sums[2] = {local.sum, static_cast<double>(local.count)};
    world_.allreduce_sum(sums, 2);
    double loss = sums[0] / sums[1];
    metrics_.evals.push_back({progress_.step, progress_.tokens, loss});
    if (world_.rank() == 0) {
      std::printf("eval   %6lld | held-out loss %.6f over %lld tokens\n", static_cast<long long>(progress_.step), loss,
                  static_cast<long long>(sums[1]));
      std::fflush(stdout);
    }
    return loss;
  }

  bool checkpoint_due(int64_t tokens_before) const {
    const auto& c = cfg_.checkpoint;
    if (std::find(c.pin_tokens.begin(), c.pin_tokens.end(), progress_.tokens) != c.pin_tokens.end()) return true;
    if (c.interval_steps > 0 && progress_.step % c.interval_steps == 0) return true;
    if (c.interval_tokens > 0 && tokens_before / c.interval_tokens != progress_.tokens / c.interval_tokens) return true;
    return false;
  }

  void save_checkpoint() {
    // Rank 0 writes, tensor by tensor; the other ranks of its expert group hand it their experts'
    // rows of each sharded tensor as it comes.
    const auto& table = model_->table();
    const bool sharded = table.experts_split();
    const bool writer = world_.rank() == 0;
    if (!writer && !(sharded && world_.rank() < expert_group_->size())) {
      world_.barrier();
      return;
    }
    const std::string path = run_.checkpoint_path(progress_.step);
    try {
      const OptimizerValues mine{model_->parameters(), optimizer_->first_moment(), optimizer_->second_moment()};
      std::unique_ptr<checkpoint::CheckpointWriter> out;
      if (writer) {
        out = std::make_unique<checkpoint::CheckpointWriter>(path, cfg_.resolved_toml);
        out->integer("step", progress_.step);
        out->integer("tokens", progress_.tokens);
        out->integer("data_cursor", progress_.cursor);
        out->integer("adam_steps", optimizer_->steps_taken());
        out->integer("seed", cfg_.train.seed);
        out->integer("world_size", world_.size());
        out->real("peak_lr", schedule_.peak_lr);
        out->real("decay_fraction", cfg_.train.decay_fraction);  // an integer attribute before: always 0
        if (!branched_from_.empty()) out->text("branched_from", branched_from_);
      }
      write_tensors(table, mine, sharded ? expert_group_.get() : nullptr, out.get());
      if (writer) {
        out->commit();
        const auto& pins = cfg_.checkpoint.pin_tokens;
        if (std::find(pins.begin(), pins.end(), progress_.tokens) != pins.end()) {
          // A milestone that other runs branch from: a second name that retention never removes.
          std::string pin = run_.pin_path(progress_.tokens);
          fs::remove(pin);
          fs::create_hard_link(path, pin);
        }
        apply_retention();
      }
    } catch (const std::exception&) {
      world_.barrier();
      throw;
    }
    world_.barrier();
  }

  // Keeps the newest keep_last step checkpoints (pinned milestones have their own names).
  void apply_retention() {
    auto files = run_.checkpoints();
    const int64_t keep = cfg_.checkpoint.keep_last;
    for (int64_t i = 0; i + keep < static_cast<int64_t>(files.size()); ++i) fs::remove(files[i]);
  }

  void write_summary(double final_loss) {
    const double final_train = metrics_.steps.empty() ? NAN : metrics_.steps.back().loss;
    nlohmann::json s = {
        {"run_id", fs::path(run_.path()).filename().string()},
        {"complete", true},
        {"n_act", counts_.n_act},
        {"n_total", counts_.n_total},
        {"n_act_nonembedding", counts_.n_act_nonembedding},
        {"tokens", progress_.tokens},
        {"steps", progress_.step},
        {"experts", cfg_.model.experts},
        {"top_k", cfg_.model.top_k},
        {"granularity", cfg_.model.granularity},
        {"d_model", cfg_.model.d_model},
        {"n_blocks", cfg_.model.n_blocks},
        {"lr", schedule_.peak_lr},
        {"seed", cfg_.train.seed},
        {"decay_fraction", cfg_.train.decay_fraction},
        {"final_loss", final_loss},
        {"final_train_loss", final_train},
        {"init_from", branched_from_.empty() ? nlohmann::json(nullptr) : nlohmann::json(branched_from_)},
        {"world_size", world_.size()},
        {"backend", backend_->name()},
        {"transport", gradients_->transport()},
    };
    RunDir::write_file_atomically(run_.summary_path(), s.dump(2) + "\n");
  }

  const config::RunConfig& cfg_;
  const TrainOptions& opt_;
  parallel::Communicator& world_;
  RunDir run_;
  model::ModelDims dims_;
  model::ParamCounts counts_;
  Schedule schedule_;
  std::unique_ptr<parallel::Communicator> expert_group_;  // MoE: ranks that split the experts
  std::unique_ptr<parallel::Communicator> expert_replicas_;  // MoE: ranks that hold the same experts
  std::unique_ptr<backend::Backend<float>> backend_;
  std::unique_ptr<parallel::DeviceExchange> expert_exchange_;  // MoE: token rows between expert_group_'s ranks
  std::unique_ptr<model::Transformer<float>> model_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<parallel::DeviceExchange> gradients_;  // the data-parallel gradient all-reduce
  std::unique_ptr<parallel::DeviceExchange> expert_gradients_;  // MoE: the expert tensors' all-reduce
  bool overlap_gradients_ = false;  // all-reduce buckets as backward finishes them
  std::unique_ptr<data::SequenceStream> train_, val_;
  int64_t eval_sequences_ = 0;
  Progress progress_;
  MetricsLog metrics_;
  std::string branched_from_;
  std::vector<int32_t> batch_, inputs_, targets_;
  double last_dropped_fraction_ = 0;
};

}  // namespace

int train(const config::RunConfig& config, const TrainOptions& options, parallel::Communicator& world) {
  Trainer trainer(config, options, world);
  return trainer.run();
}

}  // namespace moelaw::train
