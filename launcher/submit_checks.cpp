#include "launcher/submit_checks.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include <toml++/toml.h>

#include "common/errors.hpp"
#include "config/run_config.hpp"
#include "data/shard_format.hpp"
#include "train/run_dir.hpp"

namespace moelaw::launcher {

namespace fs = std::filesystem;

namespace {

const char* const kGlobKeys[] = {"data.train", "data.val"};

config::Resolved load_run(const PlannedRun& run, const std::vector<std::string>& overrides = {}) {
  return config::load(config::run_schema(), run.config_toml, "run " + run.name, overrides);
}

// What check_run_inputs needs to know of one shard file.
struct ShardFacts {
  std::string error;    // why it cannot be read as a shard; empty if it can
  int64_t max_id = -1;  // the largest token id in it
  int64_t max_offset = 0;
};

ShardFacts read_shard_facts(const std::string& path) {
  ShardFacts f;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    f.error = fs::is_directory(path, ec) ? "a directory, not a token shard" : "not a regular file";
    return f;
  }
  try {
    data::Shard shard(path);
    const uint16_t* begin = shard.tokens();
    const uint16_t* top = std::max_element(begin, begin + shard.size());
    if (shard.size() > 0) {
      f.max_id = *top;
      f.max_offset = top - begin;
    }
    if (shard.size() == 0) f.error = "holds no tokens";
  } catch (const std::exception& e) {
    f.error = e.what();
  }
  return f;
}

// Is `path` a directory this process can write into, or one it can create?
std::string unusable_directory(const fs::path& path) {
  std::error_code ec;
  fs::path p = path;
  while (!p.empty() && !fs::exists(p, ec)) p = p.parent_path();
  if (p.empty()) p = ".";
  if (!fs::is_directory(p, ec)) return p.string() + " is not a directory";
  if (::access(p.c_str(), W_OK | X_OK) != 0) return p.string() + " is not writable";
  return "";
}

bool complete_to_target(const ExperimentDir& dir, const PlannedRun& run) {
  try {
    const auto summary = train::RunDir(dir.run_dir(run.name)).summary();
    return summary && summary->complete && summary->tokens >= run.target_tokens;
  } catch (const std::exception&) {
    return false;  // unreadable: the run will start again, so its inputs are checked
  }
}

}  // namespace

void resolve_relative_paths(Plan& plan, const std::string& workdir) {
  for (auto& run : plan.runs) {
    const auto resolved = load_run(run);
    std::vector<std::string> overrides;
    for (const char* key : kGlobKeys) {
      const auto& globs = resolved.strings(key);
      if (std::all_of(globs.begin(), globs.end(), [](const std::string& g) { return fs::path(g).is_absolute(); }))
        continue;
      toml::array absolute;
      for (const auto& g : globs) absolute.push_back(fs::path(g).is_absolute() ? g : (fs::path(workdir) / g).string());
      std::ostringstream text;
      text << absolute;
      overrides.push_back(std::string(key) + "=" + text.str());
      // The settings say the same as the configuration (plan.json shows them).
      std::erase_if(run.settings, [&](const std::string& s) { return s.rfind(std::string(key) + "=", 0) == 0; });
      run.settings.push_back(overrides.back());
    }
    if (!overrides.empty()) run.config_toml = load_run(run, overrides).to_toml();
  }
}

void check_run_inputs(const Plan& plan, const ExperimentDir& dir) {
  if (auto why = unusable_directory(dir.root()); !why.empty())
    throw UsageError(dir.root() + ": cannot write the experiment directory: " + why);
  std::map<std::string, ShardFacts> shards;  // by path: each read once
  for (const auto& run : plan.runs) {
    if (complete_to_target(dir, run)) continue;  // will not start: its inputs may be gone
    const std::string where = "run " + run.name + ": ";
    const auto resolved = load_run(run);
    const int64_t vocab = resolved.integer("model.vocab_size");
    for (const char* key : kGlobKeys) {
      for (const auto& glob : resolved.strings(key)) {
        std::vector<std::string> files;
        try {
          files = data::expand_shard_globs({glob}, key);
        } catch (const UsageError& e) {
          throw UsageError(where + e.what());
        }
        for (const auto& file : files) {
          auto it = shards.find(file);
          if (it == shards.end()) it = shards.emplace(file, read_shard_facts(file)).first;
          const ShardFacts& f = it->second;
          if (!f.error.empty())
            throw UsageError(where + key + ": '" + glob + "' matches " + file + ": " + f.error);
          if (f.max_id >= vocab)
            throw UsageError(where + key + ": " + file + " holds token id " + std::to_string(f.max_id) + " (token " +
                             std::to_string(f.max_offset) + ") outside the vocabulary: model.vocab_size = " +
                             std::to_string(vocab));
        }
      }
      if (resolved.strings(key).empty()) throw UsageError(where + key + ": no shard files given");
    }
    const fs::path run_dir = dir.run_dir(run.name);
    std::error_code ec;
    if (fs::exists(run_dir, ec) && !fs::is_directory(run_dir, ec))
      throw UsageError(where + run_dir.string() + " exists and is not a directory");
    if (auto why = unusable_directory(run_dir); !why.empty())
      throw UsageError(where + "cannot write its run directory " + run_dir.string() + ": " + why);
  }
}

}  // namespace moelaw::launcher
