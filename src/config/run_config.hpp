#pragma once
// The configuration of one training run (`moelaw train CONFIG.toml`): its schema, and a typed view
// that has passed every cross-key check (head size, expert parallelism, batch ramp, ...).
#include <cstdint>
#include <string>
#include <vector>

#include "config/loader.hpp"

namespace moelaw::config {

const Schema& run_schema();

struct ModelConfig {
  int64_t d_model, n_blocks, n_heads, head_dim, seq_len, vocab_size;
  int64_t experts, top_k, granularity;  // experts == 1: dense
  double capacity_factor, aux_loss_weight, z_loss_weight, init_scale;
};

struct DataConfig {
  std::vector<std::string> train, val;  // shard globs
};

struct TrainConfig {
  int64_t tokens;                 // D
  bool lr_auto;                   // the LR law of DESIGN.md
  double lr;                      // meaningful when !lr_auto
  int64_t seed;
  int64_t warmup_tokens;
  double decay_fraction;
  std::vector<int64_t> batch_ramp_tokens;  // batch size i applies from tokens[i] on
  std::vector<int64_t> batch_ramp_sizes;   // tokens per step
  int64_t micro_batch;            // sequences per micro-step and rank; 0 = whole batch at once
  double weight_decay, beta1, beta2, eps, grad_clip;
  std::string backend;            // "cpu", "cuda", "auto"
  std::string precision;          // "fp32", "bf16", "auto" (bf16 on the GPU, fp32 on the CPU)
  int64_t eval_interval_steps, eval_tokens, log_interval_steps;
};

struct CheckpointConfig {
  int64_t interval_steps, interval_tokens, keep_last;
  std::vector<int64_t> pin_tokens;
};

struct ParallelConfig {
  int64_t expert;  // ranks per expert-parallel group
  std::string transport;  // "auto", "mpi" (staged through host memory), "nccl"
};

struct RunConfig {
  ModelConfig model;
  DataConfig data;
  TrainConfig train;
  CheckpointConfig checkpoint;
  ParallelConfig parallel;
  std::string resolved_toml;  // every key, defaults included, for checkpoints and logs
};

// Builds the typed view; inconsistent values are UsageErrors naming where the key was set.
RunConfig to_run_config(const Resolved& resolved);
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace moelaw::config
