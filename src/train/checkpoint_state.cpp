#include "train/checkpoint_state.hpp"

#include <algorithm>

#include "common/errors.hpp"
#include "config/loader.hpp"

namespace moelaw::train {

void check_compatible(const config::RunConfig& ours, const checkpoint::CheckpointData& ckpt, const std::string& path) {
  auto theirs = config::to_run_config(config::load(config::run_schema(), ckpt.config_toml, path + " (config)", {}));
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

void put_tensors(const model::ParameterTable& table, const OptimizerValues& mine,
                 const OptimizerValues& experts_of_group, int64_t group_size, checkpoint::CheckpointData& into) {
  const int64_t replicated = table.replicated_total(), shard_values = table.total() - replicated;
  for (const auto& t : table.tensors()) {
    auto whole = [&](const std::vector<float>& local, const std::vector<float>& gathered) {
      checkpoint::Array<float> a{t.full_shape, {}};
      if (!t.expert_sharded || gathered.empty()) {
        a.data.assign(local.begin() + t.offset, local.begin() + t.offset + t.size);
        return a;
      }
      // Rank r's shard of this tensor sits at the same place in its part of `gathered`.
      const int64_t at = t.offset - replicated;
      for (int64_t r = 0; r < group_size; ++r) {
        auto from = gathered.begin() + r * shard_values + at;
        a.data.insert(a.data.end(), from, from + t.size);
      }
      return a;
    };
    into.floats["params/" + t.name] = whole(mine.params, experts_of_group.params);
    into.floats["adam_m/" + t.name] = whole(mine.m, experts_of_group.m);
    into.floats["adam_v/" + t.name] = whole(mine.v, experts_of_group.v);
  }
}

OptimizerValues take_tensors(const model::ParameterTable& table, const checkpoint::CheckpointData& ckpt,
                             const std::string& path) {
  OptimizerValues out;
  for (auto* values : {&out.params, &out.m, &out.v}) values->resize(static_cast<size_t>(table.total()));
  for (const auto& t : table.tensors()) {
    int64_t full = 1;
    for (int64_t s : t.full_shape) full *= s;
    const int64_t skip = t.shard_first > 0 ? t.shard_first * (t.size / t.shape[0]) : 0;
    auto take = [&](const std::string& prefix, std::vector<float>& into) {
      auto it = ckpt.floats.find(prefix + t.name);
      if (it == ckpt.floats.end()) throw checkpoint::CorruptCheckpoint(path + ": no tensor " + prefix + t.name);
      if (static_cast<int64_t>(it->second.data.size()) != full)
        throw checkpoint::CorruptCheckpoint(path + ": tensor " + prefix + t.name + " has " +
                                            std::to_string(it->second.data.size()) + " values, not " +
                                            std::to_string(full));
      std::copy_n(it->second.data.begin() + skip, t.size, into.begin() + t.offset);
    };
    take("params/", out.params);
    take("adam_m/", out.m);
    take("adam_v/", out.v);
  }
  return out;
}

}  // namespace moelaw::train
