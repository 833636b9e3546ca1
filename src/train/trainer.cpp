// The training loop, read top to bottom: set-up (lock, data, model, exchanges, state), then one
// step after another with its evaluation, progress line, checkpoint and stop check, then the end
// of the run. Each job lives in its unit: exchanges.hpp, checkpoint_state.hpp, retention.hpp,
// moe_metrics.hpp, progress_log.hpp, run_summary.hpp, run_lock.hpp, resume_config.hpp.
#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "backend/backend.hpp"
#include "backend/registry.hpp"
#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "model/param_count.hpp"
#include "model/transformer.hpp"
#include "train/adamw.hpp"
#include "train/batches.hpp"
#include "train/checkpoint_state.hpp"
#include "train/exchanges.hpp"
#include "train/metrics_log.hpp"
#include "train/moe_metrics.hpp"
#include "train/progress_log.hpp"
#include "train/resume_config.hpp"
#include "train/retention.hpp"
#include "train/run_dir.hpp"
#include "train/run_lock.hpp"
#include "train/run_summary.hpp"
#include "train/schedule.hpp"
#include "train/stop_request.hpp"

namespace fs = std::filesystem;

namespace moelaw::train {

namespace {

// This process's index among the ranks on its node (picks its GPU): what mpirun or srun says,
// else the world rank (one node).
int rank_on_node(int world_rank) {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"})
    if (const char* v = std::getenv(name)) return std::atoi(v);
  return world_rank;
}

class Trainer {
 public:
  Trainer(const config::RunConfig& cfg, const TrainOptions& opt, parallel::Communicator& world)
      : cfg_(cfg), opt_(opt), world_(world), run_(opt.run_dir), log_(world.rank() == 0),
        dims_(model::dims_from_config(cfg.model)),
        counts_(model::count_parameters({cfg.model.d_model, cfg.model.n_blocks, cfg.model.vocab_size,
                                         cfg.model.experts, cfg.model.top_k, cfg.model.granularity})),
        schedule_{0, cfg.train.tokens, cfg.train.warmup_tokens, cfg.train.decay_fraction,
                  cfg.train.batch_ramp_tokens, cfg.train.batch_ramp_sizes, cfg.model.seq_len} {
    schedule_.peak_lr = cfg.train.lr_auto ? counts_.lr : cfg.train.lr;
  }

  int run() {
    install_stop_handlers();  // from the start: a preemption signal during set-up must not kill us
    exchanges_ = split_expert_groups(cfg_, world_);
    if (opt_.resume || run_.complete()) check_same_configuration(run_.config_path(), cfg_);
    if (complete_already(run_, cfg_, opt_.resume, log_)) return kExitOk;
    batches_ = std::make_unique<Batches>(cfg_, world_.rank(), world_.size());  // bad data: exit 2 now
    lock_ = RunLock::acquire_on_rank0(run_, world_);  // before reading checkpoints: one trainer per run
    if (log_.lead())
      for (const auto& path : run_.remove_temporaries()) log_.note("removed a half-written file: " + path);
    build_model();
    restore_or_initialize();
    if (log_.lead()) {
      write_file_atomically(run_.config_path(), {cfg_.resolved_toml});
      const auto& table = model_->table();
      log_.header(run_.path(), table.full_total(), table.experts_split() ? table.total() : 0,
                  table.experts_split() ? exchanges_.expert_group->size() : 0, counts_.n_act_nonembedding,
                  schedule_.peak_lr, cfg_.train.tokens, world_.size());
    }
    log_.start(progress_.tokens);
    const auto& t = cfg_.train;
    while (progress_.tokens < t.tokens) {
      const int64_t tokens_before = progress_.tokens;
      train_step();
      const bool last = progress_.tokens >= t.tokens;
      if (!last && t.eval_interval_steps > 0 && progress_.step % t.eval_interval_steps == 0) evaluate();
      if (progress_.step % t.log_interval_steps == 0 || last || progress_.step == 1) {
        const auto& s = metrics_.steps.back();
        log_.step({s.step, s.tokens, t.tokens, s.loss, s.lr, s.grad_norm, dims_.moe(), dropped_fraction_});
      }
      // Every rank must stop after the same step: agree on the flag.
      const bool stop = world_.allreduce_max(stop_requested() ? 1 : 0) > 0;
      if (last) break;
      if (stop || checkpoint_due(cfg_.checkpoint, progress_.step, tokens_before, progress_.tokens)) save_checkpoint();
      if (stop) {
        if (log_.lead()) metrics_.save(run_.metrics_path());
        log_.stopped(stop_signal(), progress_.step);
        return kExitPreempted;
      }
      if (log_.lead() && progress_.step % t.log_interval_steps == 0) metrics_.save(run_.metrics_path());
    }
    const double final_loss = evaluate();
    save_checkpoint();
    if (log_.lead()) {
      metrics_.save(run_.metrics_path());
      summary(final_loss).write(run_.summary_path());
      log_.done(progress_.step, progress_.tokens, final_loss);
      if (dims_.moe() && world_.size() > 1)
        log_.exchange_time(model_->moe_exchange_seconds(),
                           exchanges_.experts && exchanges_.experts->transport() == parallel::Transport::nccl);
    }
    return kExitOk;
  }

 private:
  void build_model() {
    std::string note;
    backend_ = backend::make_training_backend(cfg_.train.backend, cfg_.train.precision, rank_on_node(world_.rank()),
                                              &note);
    if (cfg_.train.backend == "auto" && !note.empty()) log_.note("train.backend = auto: " + note);
    connect_exchanges(exchanges_, cfg_, world_, *backend_);
    model_ = std::make_unique<model::Transformer<float>>(*backend_, dims_, micro_batch(cfg_, world_.size()),
                                                         exchanges_.experts.get());
    optimizer_ = std::make_unique<AdamW>(*backend_, model_->table(),
                                         AdamWSettings{cfg_.train.beta1, cfg_.train.beta2, cfg_.train.eps,
                                                       cfg_.train.weight_decay});
    for (const auto& line : exchanges_.notes) log_.note(line);
  }

  // Resumed, branched (train/checkpoint_state.hpp) or fresh; a checkpoint is applied whole or not at all.
  void restore_or_initialize() {
    auto from = starting_checkpoint(opt_.resume ? run_.checkpoints() : std::vector<std::string>{}, opt_.init_from,
                                    cfg_, model_->table(), log_.lead());
    if (!from) return model_->initialize(static_cast<uint64_t>(cfg_.train.seed), cfg_.model.init_scale);
    if (from->path != opt_.init_from) {  // resumed: its metrics go on
      std::string note;
      if (log_.lead()) metrics_ = MetricsLog::load_for_resume(run_.metrics_path(), from->state.progress.step, &note);
      if (!note.empty()) log_.warn(note);
      log_.resumed(from->path, from->state.progress.step, from->state.progress.tokens);
    }
    model_->set_parameters(from->values.params);
    optimizer_->restore(from->values.m, from->values.v, from->state.adam_steps);
    progress_ = from->state.progress;
    branched_from_ = from->state.branched_from;
  }

  // One optimizer step over the global batch; appends its metrics.
  void train_step() {
    const auto started = std::chrono::steady_clock::now();
    const int64_t T = cfg_.model.seq_len, step_tokens = schedule_.step_tokens(progress_.tokens);
    const double lr = schedule_.lr(progress_.tokens);
    batches_->read_training(progress_.cursor, step_tokens / T);
    model_->zero_grad();
    model_->reset_moe_stats();
    // The global target count first (the targets are on the host: one small all-reduce), so that
    // each rank's gradient is its share of d(global mean loss)/dθ and the sum over ranks is final.
    double global_targets = static_cast<double>(batches_->targets_present());
    world_.allreduce_sum(&global_targets, 1);
    const model::LossSum local =
        model_->forward_backward(batches_->inputs(), batches_->targets(), batches_->count(), T,
                                 global_targets > 0 ? 1.0 / global_targets : 0.0,
                                 bucket_reducer(exchanges_, model_->grads()));
    double sums[2] = {local.sum, static_cast<double>(local.count)};
    const int64_t n = model_->table().total();
    const double norm = sum_gradients(exchanges_, world_, *backend_, model_->grads(), n, model_->table().replicated_total());
    world_.allreduce_sum(sums, 2);
    if (cfg_.train.grad_clip > 0 && norm > cfg_.train.grad_clip)
      backend_->scale(model_->grads(), n, cfg_.train.grad_clip / norm);
    optimizer_->step(model_->params(), model_->grads(), lr);

    progress_ = {progress_.step + 1, progress_.tokens + step_tokens, progress_.cursor + step_tokens / T};
    if (dims_.moe()) dropped_fraction_ = record_moe_step(model_->moe_stats(), world_, metrics_);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.steps.push_back({progress_.step, progress_.tokens, sums[0] / sums[1], lr, norm,
                              static_cast<double>(step_tokens) / std::max(seconds, 1e-9)});
  }

  // Mean loss over the fixed held-out sequences, split over the ranks.
  double evaluate() {
    batches_->read_held_out();
    model::LossSum local;
    if (batches_->count() > 0)
      local = model_->evaluate(batches_->inputs(), batches_->targets(), batches_->count(), cfg_.model.seq_len);
    double sums[2] = {local.sum, static_cast<double>(local.count)};
    world_.allreduce_sum(sums, 2);
    const double loss = sums[0] / sums[1];
    metrics_.evals.push_back({progress_.step, progress_.tokens, loss});
    log_.eval(progress_.step, loss, static_cast<int64_t>(sums[1]));
    return loss;
  }

  // Rank 0 writes, tensor by tensor; the other ranks of its expert group hand it their experts'
  // rows of each sharded tensor as it comes.
  void save_checkpoint() {
    const auto& table = model_->table();
    const bool writer = world_.rank() == 0;
    if (writer || (table.experts_split() && world_.rank() < exchanges_.expert_group->size())) {
      try {
        const std::string path = run_.checkpoint_path(progress_.step);
        save_training_checkpoint(path, cfg_, {progress_, optimizer_->steps_taken(), branched_from_},
                                 {cfg_.train.seed, world_.size(), schedule_.peak_lr, cfg_.train.decay_fraction},
                                 table, {model_->parameters(), optimizer_->first_moment(), optimizer_->second_moment()},
                                 exchanges_.expert_group.get(), writer);
        if (writer) keep_checkpoints(run_, cfg_.checkpoint, path, progress_.step, progress_.tokens);
      } catch (const std::exception&) {
        world_.barrier();
        throw;
      }
    }
    world_.barrier();
  }

  RunSummary summary(double final_loss) const {
    const auto& m = cfg_.model;
    return {.run_id = fs::path(run_.path()).filename().string(), .complete = true, .n_act = counts_.n_act,
            .n_total = counts_.n_total, .n_act_nonembedding = counts_.n_act_nonembedding, .tokens = progress_.tokens,
            .steps = progress_.step, .experts = m.experts, .top_k = m.top_k, .granularity = m.granularity,
            .d_model = m.d_model, .n_blocks = m.n_blocks, .lr = schedule_.peak_lr,
            .decay_fraction = cfg_.train.decay_fraction, .seed = cfg_.train.seed, .final_loss = final_loss,
            .final_train_loss = metrics_.steps.empty() ? NAN : metrics_.steps.back().loss,
            .init_from = branched_from_, .world_size = world_.size(), .backend = backend_->name(),
            .transport = parallel::transport_name(exchanges_.gradients->transport())};
  }

  const config::RunConfig& cfg_;
  const TrainOptions& opt_;
  parallel::Communicator& world_;
  RunDir run_;
  ProgressLog log_;
  model::ModelDims dims_;
  model::ParamCounts counts_;
  Schedule schedule_;
  RunLock lock_;
  TrainingExchanges exchanges_;
  std::unique_ptr<backend::Backend<float>> backend_;
  std::unique_ptr<model::Transformer<float>> model_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<Batches> batches_;
  Progress progress_;
  MetricsLog metrics_;
  std::string branched_from_;
  double dropped_fraction_ = 0;  // MoE: of the last step's expert choices
};

}  // namespace

int train(const config::RunConfig& config, const TrainOptions& options, parallel::Communicator& world) {
  Trainer trainer(config, options, world);
  return trainer.run();
}

}  // namespace moelaw::train
