#include "train/checkpoint_state.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <utility>

#include "common/errors.hpp"
#include "config/loader.hpp"

namespace moelaw::train {

void check_compatible(const config::RunConfig& ours, const checkpoint::CheckpointData& attributes,
                      const std::string& path) {
  auto theirs = config::to_run_config(config::load(config::run_schema(), attributes.config_toml, path + " (config)", {}));
  const auto &a = ours.model, &b = theirs.model;
  auto differs = [&](const char* key, int64_t x, int64_t y) {
    if (x != y)
      throw UsageError(path + ": the checkpoint's model." + key + " is " + std::to_string(y) + ", this run's is " +
                       std::to_string(x));
  };
  differs("d_model", a.d_model, b.d_model);
  differs("n_blocks", a.n_blocks, b.n_blocks);
  differs("n_heads", a.n_heads, b.n_heads);
  differs("vocab_size", a.vocab_size, b.vocab_size);
  differs("seq_len", a.seq_len, b.seq_len);
  differs("experts", a.experts, b.experts);
  differs("top_k", a.top_k, b.top_k);
  differs("granularity", a.granularity, b.granularity);
}

void write_tensors(const model::ParameterTable& table, const OptimizerValues& mine, parallel::Communicator* experts,
                   checkpoint::CheckpointWriter* out) {
  const bool split = table.experts_split();
  if (split && !(experts && experts->size() > 1))
    throw std::logic_error("write_tensors: a sharded parameter table needs the group that shards it");
  std::exception_ptr failed;
  auto write = [&](const std::string& name, const std::vector<int64_t>& shape, const float* data) {
    if (!out || failed) return;
    try {
      out->add(name, shape, data);
    } catch (...) {
      failed = std::current_exception();
    }
  };
  for (const auto& t : table.tensors()) {
    for (const auto& [prefix, values] : {std::pair{"params/", &mine.params}, std::pair{"adam_m/", &mine.m},
                                         std::pair{"adam_v/", &mine.v}}) {
      const float* local = values->data() + t.offset;
      if (!(split && t.expert_sharded)) {
        write(prefix + t.name, t.full_shape, local);
        continue;
      }
      // The shards are consecutive row blocks in rank order: gathered, they are the whole tensor.
      const auto whole = experts->gather(local, static_cast<size_t>(t.size) * sizeof(float), 0);
      write(prefix + t.name, t.full_shape, reinterpret_cast<const float*>(whole.data()));
    }
  }
  if (failed) std::rethrow_exception(failed);
}

OptimizerValues take_tensors(const model::ParameterTable& table, const checkpoint::CheckpointReader& in,
                             const std::string& path) {
  OptimizerValues out;
  for (auto* values : {&out.params, &out.m, &out.v}) values->resize(static_cast<size_t>(table.total()));
  for (const auto& t : table.tensors()) {
    int64_t full = 1;
    for (int64_t s : t.full_shape) full *= s;
    const int64_t skip = t.shard_first > 0 ? t.shard_first * (t.size / t.shape[0]) : 0;
    auto take = [&](const std::string& prefix, std::vector<float>& into) {
      const std::string name = prefix + t.name;
      if (!in.has_floats(name)) throw checkpoint::CorruptCheckpoint(path + ": no tensor " + name);
      const auto whole = in.floats(name);
      if (static_cast<int64_t>(whole.data.size()) != full)
        throw checkpoint::CorruptCheckpoint(path + ": tensor " + name + " has " + std::to_string(whole.data.size()) +
                                            " values, not " + std::to_string(full));
      std::copy_n(whole.data.begin() + skip, t.size, into.begin() + t.offset);
    };
    take("params/", out.params);
    take("adam_m/", out.m);
    take("adam_v/", out.v);
  }
  return out;
}

namespace {
// The attribute names of the training state, for both directions.
constexpr const char* kStep = "step";
constexpr const char* kTokens = "tokens";
constexpr const char* kCursor = "data_cursor";
constexpr const char* kAdamSteps = "adam_steps";
constexpr const char* kBranchedFrom = "branched_from";
}  // namespace

void save_training_checkpoint(const std::string& path, const config::RunConfig& config, const TrainingState& state,
                              const RunFacts& facts, const model::ParameterTable& table, const OptimizerValues& mine,
                              parallel::Communicator* experts, bool writer) {
  std::unique_ptr<checkpoint::CheckpointWriter> out;
  if (writer) {
    out = std::make_unique<checkpoint::CheckpointWriter>(path, config.resolved_toml);
    out->integer(kStep, state.progress.step);
    out->integer(kTokens, state.progress.tokens);
    out->integer(kCursor, state.progress.cursor);
    out->integer(kAdamSteps, state.adam_steps);
    if (!state.branched_from.empty()) out->text(kBranchedFrom, state.branched_from);
    out->integer("seed", facts.seed);
    out->integer("world_size", facts.world_size);
    out->real("peak_lr", facts.peak_lr);
    out->real("decay_fraction", facts.decay_fraction);  // an integer attribute before: always 0
  }
  write_tensors(table, mine, table.experts_split() ? experts : nullptr, out.get());
  if (writer) out->commit();
}

std::string branched_from(const checkpoint::CheckpointData& attributes) {
  auto from = attributes.strings.find(kBranchedFrom);
  return from == attributes.strings.end() ? "" : from->second;
}

LoadedCheckpoint load_training_checkpoint(const std::string& path, const config::RunConfig& config,
                                          const model::ParameterTable& table) {
  const checkpoint::CheckpointReader in(path);
  const checkpoint::CheckpointData& attributes = in.attributes();
  check_compatible(config, attributes, path);
  auto integer = [&](const char* key) {
    auto it = attributes.integers.find(key);
    if (it == attributes.integers.end()) throw checkpoint::CorruptCheckpoint(path + ": no attribute " + key);
    return it->second;
  };
  LoadedCheckpoint loaded{path, {}, {}};
  loaded.state.progress = {integer(kStep), integer(kTokens), integer(kCursor)};
  loaded.state.adam_steps = integer(kAdamSteps);
  loaded.state.branched_from = branched_from(attributes);
  const Progress& p = loaded.state.progress;
  if (p.step < 0 || p.tokens < 0 || p.cursor < 0 || loaded.state.adam_steps < 0)
    throw checkpoint::CorruptCheckpoint(path + ": negative step, token count, data position or optimizer steps");
  loaded.values = take_tensors(table, in, path);
  return loaded;
}

std::optional<LoadedCheckpoint> load_newest_checkpoint(const std::vector<std::string>& files,
                                                       const config::RunConfig& config,
                                                       const model::ParameterTable& table, bool report) {
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    try {
      return load_training_checkpoint(*it, config, table);
    } catch (const checkpoint::CorruptCheckpoint& e) {
      if (report) std::fprintf(stderr, "warning: skipping unreadable checkpoint: %s\n", e.what());
    }
  }
  return std::nullopt;
}

std::optional<LoadedCheckpoint> starting_checkpoint(const std::vector<std::string>& resume_from,
                                                    const std::string& init_from, const config::RunConfig& config,
                                                    const model::ParameterTable& table, bool report) {
  auto from = load_newest_checkpoint(resume_from, config, table, report);
  if (from) return from;
  if (init_from.empty()) {
    if (report && !resume_from.empty())
      std::fprintf(stderr, "warning: no valid checkpoint in %s, starting from scratch\n",
                   std::filesystem::path(resume_from.front()).parent_path().c_str());
    return std::nullopt;
  }
  // A branch that never checkpointed starts again from where it branched.
  try {
    from = load_training_checkpoint(init_from, config, table);
  } catch (const checkpoint::CorruptCheckpoint& e) {
    throw UsageError(std::string("--init-from: ") + e.what());
  }
  if (from->state.progress.tokens >= config.train.tokens)
    throw UsageError("--init-from " + init_from + ": the checkpoint is at " + std::to_string(from->state.progress.tokens) +
                     " tokens, not before train.tokens = " + std::to_string(config.train.tokens));
  from->state.branched_from = std::filesystem::absolute(init_from).string();
  return from;
}

}  // namespace moelaw::train
