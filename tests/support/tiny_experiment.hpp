#pragma once
// A tiny experiment grid on the test shards for the submit/status tests: the tiny_run.hpp model
// shape (d_model 32, 2 blocks, 16-token sequences, 128 tokens per step), one or more models, a
// few lengths each; and helpers to submit it and read `moelaw status --json`.
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/run_command.hpp"
#include "support/tiny_run.hpp"

namespace moelaw::testing {

// `models` is TOML of [[models]] tables; the run settings are the tiny shape's.
inline std::string tiny_experiment(const std::string& path, const std::string& name, const std::string& models,
                                   int checkpoint_interval_steps = 2,
                                   const std::string& resources = "ranks = 1\ntime_limit = \"00:10:00\"\n") {
  std::ofstream(path) << "[experiment]\nname = \"" << name << "\"\n"
                      << "[run.model]\nhead_dim = 16\nseq_len = 16\n"
                      << "[run.data]\ntrain = \"" << test_data_dir() << "/fineweb_train_*.bin\"\n"
                      << "val = \"" << test_data_dir() << "/fineweb_val_*.bin\"\n"
                      << "[run.train]\nwarmup_tokens = 256\nbatch_ramp_tokens = [0]\nbatch_ramp_sizes = [128]\n"
                         "eval_interval_steps = 0\neval_tokens = 512\nlog_interval_steps = 1\nbackend = \"cpu\"\n"
                      << "[run.checkpoint]\ninterval_steps = " << checkpoint_interval_steps << "\nkeep_last = 2\n"
                      << "[resources]\n" << resources << models;
  return path;
}

inline std::string tiny_model(const std::string& name, const std::string& tokens, const std::string& extra = "") {
  return "[[models]]\nname = \"" + name + "\"\nd_model = 32\nn_blocks = 2\nlr = 0.01\ntokens = " + tokens + "\n" +
         extra;
}

// The run names the plan gives tiny_model("m", ...) (LR 0.01, the default seed).
inline const std::string kTrunk = "m_lr-0.01_s1234_trunk";
inline std::string cooldown(int tokens) { return "m_lr-0.01_s1234_D" + std::to_string(tokens); }

inline nlohmann::json status_json(const std::string& exp_dir) {
  auto r = run_command(moelaw_command("status --json '" + exp_dir + "'"));
  if (r.status != 0) throw std::runtime_error("moelaw status " + exp_dir + ": " + r.err);
  return nlohmann::json::parse(r.out);
}

inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  return nlohmann::json::parse(in);
}

// Polls `done` every half second for up to `seconds`.
inline bool wait_until(const std::function<bool()>& done, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return done();
}

inline bool all_runs(const nlohmann::json& status, const std::string& state) {
  for (const auto& r : status["runs"])
    if (r["state"] != state) return false;
  return !status["runs"].empty();
}

}  // namespace moelaw::testing
