#include "train/run_dir.hpp"

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

void RunDir::create() const { fs::create_directories(checkpoint_dir()); }

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
    throw std::runtime_error(summary_path() + ": unreadable summary: " + e.what());
  }
}

bool RunDir::complete() const {
  auto s = summary();
  return s.contains("complete") && s["complete"].is_boolean() && s["complete"].get<bool>();
}

void RunDir::write_file_atomically(const std::string& path, const std::string& content) {
  fs::path final_path(path);
  fs::path dir = final_path.parent_path().empty() ? fs::path(".") : final_path.parent_path();
  std::string tmp = (dir / ("." + final_path.filename().string() + ".tmp-" + std::to_string(getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error("writing " + path + " failed: " + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("writing " + path + " failed: " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("renaming " + tmp + ": " + std::strerror(errno));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace moelaw::train
