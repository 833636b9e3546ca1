#include "train/run_dir.hpp"

#include "common/errors.hpp"
#include "common/output_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace moelaw::train {

std::string RunDir::checkpoint_path(int64_t step) const {
  char name[64];
  std::snprintf(name, sizeof name, "/step-%08lld.h5", static_cast<long long>(step));
  return checkpoint_dir() + name;
}

void RunDir::create() const {
  create_output_directory(path_, "run directory (--out)");
  create_output_directory(checkpoint_dir(), "checkpoint directory");
}

int64_t checkpoint_step(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  if (name.size() < 9 || name.rfind("step-", 0) != 0 || name.substr(name.size() - 3) != ".h5") return -1;
  std::string digits = name.substr(5, name.size() - 8);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::stoll(digits);
}

std::vector<std::string> RunDir::checkpoints() const {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(checkpoint_dir(), ec)) {
    int64_t step = checkpoint_step(e.path().string());
    if (step >= 0 && e.is_regular_file()) found.emplace_back(step, e.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [step, path] : found) out.push_back(path);
  return out;
}

std::optional<RunSummary> RunDir::summary() const { return RunSummary::read(summary_path()); }

std::vector<std::string> RunDir::remove_temporaries() const {
  auto is_temporary = [](const std::string& name, const std::string& of) {
    return name.rfind("." + of + ".tmp-", 0) == 0;
  };
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& dir : {path_, checkpoint_dir()})
    for (auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      const bool ours = dir == path_ ? is_temporary(name, "config.toml") || is_temporary(name, "metrics.h5") ||
                                           is_temporary(name, "summary.json")
                                     : name.size() > 1 && name[0] == '.' && name.find(".h5.tmp-") != std::string::npos;
      if (ours && e.is_regular_file() && fs::remove(e.path(), ec)) removed.push_back(e.path().string());
    }
  return removed;
}

std::string RunDir::pin_path(int64_t tokens) const {
  char name[64];
  std::snprintf(name, sizeof name, "/pin-tokens-%012lld.h5", static_cast<long long>(tokens));
  return checkpoint_dir() + name;
}

bool RunDir::complete() const {
  auto s = summary();
  return s && s->complete;
}

}  // namespace moelaw::train
