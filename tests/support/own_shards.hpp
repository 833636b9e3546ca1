#pragma once
// Token shards and an experiment grid made by the test itself, for submit tests that must not
// depend on the shared fixture: shards of chosen ids (real files in llm.c's layout, written by
// data::write_shard) and a one-model grid over the tiny shape whose data globs are given.
#include <fstream>
#include <string>
#include <vector>

#include "data/shard_format.hpp"

namespace moelaw::testing {

// `count` tokens cycling through 0..max_id (so max_id is in the shard).
inline void write_test_shard(const std::string& path, size_t count, uint16_t max_id) {
  std::vector<uint16_t> tokens(count);
  for (size_t i = 0; i < count; ++i) tokens[i] = static_cast<uint16_t>(i % (size_t{max_id} + 1));
  data::write_shard(path, tokens);
}

inline std::string grid_over(const std::string& path, const std::string& name, const std::string& train_glob,
                             const std::string& val_glob, const std::string& tokens = "[640]") {
  std::ofstream(path) << "[experiment]\nname = \"" << name << "\"\n"
                      << "[run.model]\nhead_dim = 16\nseq_len = 16\n"
                      << "[run.data]\ntrain = \"" << train_glob << "\"\nval = \"" << val_glob << "\"\n"
                      << "[run.train]\nwarmup_tokens = 256\nbatch_ramp_tokens = [0]\nbatch_ramp_sizes = [128]\n"
                         "eval_interval_steps = 0\neval_tokens = 512\nbackend = \"cpu\"\n"
                      << "[[models]]\nname = \"m\"\nd_model = 32\nn_blocks = 2\nlr = 0.01\ntokens = " << tokens << "\n";
  return path;
}

}  // namespace moelaw::testing
