#include "train/checkpoint_state.hpp"

#include <algorithm>
#include <exception>
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

}  // namespace moelaw::train
