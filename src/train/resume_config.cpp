#include "train/resume_config.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <sstream>

#include "common/errors.hpp"
#include "common/file_io.hpp"

namespace fs = std::filesystem;

namespace moelaw::train {

namespace {

std::string text_of(const config::Value& v) {
  std::ostringstream out;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<std::string>>) {
          out << "[";
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) out << ", ";
            if constexpr (std::is_same_v<T, std::vector<std::string>>) out << '"' << x[i] << '"';
            else out << x[i];
          }
          out << "]";
        } else if constexpr (std::is_same_v<T, std::string>) {
          out << '"' << x << '"';
        } else if constexpr (std::is_same_v<T, double>) {
          char buf[32];  // the shortest text that reads back as the same number
          out << std::string(buf, std::to_chars(buf, buf + sizeof buf, x).ptr);
        } else {
          out << x;
        }
      },
      v);
  return out.str();
}

// Shard globs compared as absolute paths from here: "data/x_*.bin" and "/work/data/x_*.bin" agree.
std::vector<std::string> absolute_globs(const config::Value& v) {
  std::vector<std::string> out;
  for (const auto& g : std::get<std::vector<std::string>>(v)) out.push_back(fs::absolute(g).lexically_normal().string());
  return out;
}

}  // namespace

const std::vector<std::string>& keys_a_resume_may_change() {
  static const std::vector<std::string> keys = {
      "train.eval_interval_steps", "train.log_interval_steps", "checkpoint.interval_steps",
      "checkpoint.interval_tokens", "checkpoint.keep_last", "checkpoint.pin_tokens",
      "train.micro_batch", "train.backend", "parallel.expert", "parallel.transport"};
  return keys;
}

std::vector<std::string> changed_keys(const std::string& recorded_toml, const std::string& recorded_name,
                                      const config::RunConfig& ours) {
  const auto& schema = config::run_schema();
  const auto theirs = config::load(schema, recorded_toml, recorded_name, {});
  const auto mine = config::load(schema, ours.resolved_toml, "this run's configuration", {});
  const auto& may = keys_a_resume_may_change();
  const bool trunks = theirs.real("train.decay_fraction") == 0 && mine.real("train.decay_fraction") == 0;
  std::vector<std::string> changed;
  for (const auto& spec : schema) {
    const auto& key = spec.key;
    const auto &a = theirs.value(key), &b = mine.value(key);
    if (a == b || std::find(may.begin(), may.end(), key) != may.end()) continue;
    if ((key == "data.train" || key == "data.val") && absolute_globs(a) == absolute_globs(b)) continue;
    if (key == "train.tokens" && trunks) continue;
    changed.push_back(key + " (" + text_of(a) + " there, " + text_of(b) + " here)");
  }
  return changed;
}

void check_same_configuration(const std::string& config_path, const config::RunConfig& ours) {
  const auto text = read_file_if_exists(config_path);
  if (!text) return;
  const auto changed = changed_keys(*text, config_path, ours);
  if (changed.empty()) return;
  std::string list;
  for (const auto& c : changed) list += (list.empty() ? "" : ", ") + c;
  throw UsageError(config_path + ": the run started with another configuration; differing keys: " + list +
                   ". A run continues only with its own configuration (evaluation, logging and checkpoint "
                   "intervals, the micro-batch, backend and parallel layout may change): train into a new "
                   "run directory instead");
}

bool complete_already(const RunDir& run, const config::RunConfig& ours, bool resume, const ProgressLog& log) {
  const auto done = run.summary();
  if (!done || !done->complete) return false;
  const int64_t tokens = ours.train.tokens;
  if (done->tokens >= tokens) {
    log.note(run.path() + ": run already complete, nothing to do");
    return true;
  }
  if (!resume || ours.train.decay_fraction != 0)
    throw UsageError(run.path() + ": the run is complete at " + std::to_string(done->tokens) +
                     " tokens; only a constant-LR run (train.decay_fraction = 0) resumed with --resume auto "
                     "can be extended to train.tokens = " + std::to_string(tokens));
  log.note(run.path() + ": extending the complete constant-LR run from " + std::to_string(done->tokens) + " to " +
           std::to_string(tokens) + " tokens");
  return false;
}

}  // namespace moelaw::train
