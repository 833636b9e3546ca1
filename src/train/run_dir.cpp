#include "train/run_dir.hpp"

#include "common/atomic_file.hpp"
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

nlohmann::json RunDir::summary() const {
  std::ifstream in(summary_path());
  if (!in) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(summary_path() + ": unreadable summary (not JSON: " + e.what() + "); move it aside to rerun");
  }
}

std::string RunDir::pin_path(int64_t tokens) const {
  char name[64];
  std::snprintf(name, sizeof name, "/pin-tokens-%012lld.h5", static_cast<long long>(tokens));
  return checkpoint_dir() + name;
}

bool RunDir::complete() const {
  auto s = summary();
  return s.contains("complete") && s["complete"].is_boolean() && s["complete"].get<bool>();
}

void RunDir::write_file_atomically(const std::string& path, const std::string& content) {
  moelaw::write_file_atomically(path, {content});
}

}  // namespace moelaw::train
