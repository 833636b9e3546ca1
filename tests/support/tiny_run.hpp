#pragma once
// A tiny training configuration on the test shards (CTest fixture make_test_shards), and helpers
// to run `moelaw train` on it and read the loss curve back with `moelaw runinfo --json`.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/run_command.hpp"

namespace moelaw::testing {

inline std::string test_data_dir() {
  const char* d = std::getenv("MOELAW_TEST_DATA");
  return d ? d : "test-data";
}

// d_model 32 (2 heads of 16), 2 blocks, sequences of 16 tokens, 8 per step, 10 steps.
inline std::string tiny_config(const std::string& dir) {
  std::string path = dir + "/tiny.toml";
  std::ofstream(path) << "[model]\nd_model = 32\nhead_dim = 16\nn_blocks = 2\nseq_len = 16\n"
                         "[data]\ntrain = \"" + test_data_dir() + "/fineweb_train_*.bin\"\n"
                         "val = \"" + test_data_dir() + "/fineweb_val_*.bin\"\n"
                         "[train]\ntokens = 1280\nlr = 0.01\nwarmup_tokens = 256\n"
                         "batch_ramp_tokens = [0]\nbatch_ramp_sizes = [128]\n"
                         "eval_interval_steps = 4\neval_tokens = 512\nlog_interval_steps = 1\nbackend = \"cpu\"\n"
                         "[checkpoint]\ninterval_steps = 2\nkeep_last = 2\n";
  return path;
}

inline CommandResult train(const std::string& args, int ranks = 0) {
  std::string launcher = ranks > 0 ? "mpirun -np " + std::to_string(ranks) + " --oversubscribe " : "";
  return run_command("OMP_NUM_THREADS=1 " + launcher + moelaw_command("train " + args));
}

inline nlohmann::json runinfo(const std::string& run_dir) {
  auto r = run_command(moelaw_command("runinfo --json " + run_dir));
  if (r.status != 0) throw std::runtime_error("runinfo " + run_dir + ": " + r.err);
  return nlohmann::json::parse(r.out);
}

inline std::vector<double> train_losses(const std::string& run_dir) {
  return runinfo(run_dir)["train_loss"].get<std::vector<double>>();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char t[] = "/tmp/moelaw-train-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace moelaw::testing
