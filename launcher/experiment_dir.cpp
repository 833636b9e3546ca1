#include "launcher/experiment_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "common/file_io.hpp"

namespace moelaw::launcher {

namespace fs = std::filesystem;

ExperimentDir::ExperimentDir(const std::string& path) : root_(fs::absolute(path).lexically_normal().string()) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

void ExperimentDir::create() const {
  for (const char* sub : {"", "/configs", "/jobs", "/logs", "/runs"}) fs::create_directories(root_ + sub);
}

std::string ExperimentDir::job_name(const std::string& run) const {
  // FNV-1a of the directory: short, stable, and different for two experiments with the same runs.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : root_) h = (h ^ c) * 1099511628211ull;
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08llx", static_cast<unsigned long long>(h & 0xffffffffull));
  return "moelaw-" + std::string(tag) + "-" + run;
}

nlohmann::json ExperimentDir::read_json(const std::string& path) const {
  const auto text = read_file_if_exists(path);
  if (!text) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    // A torn record cannot happen (records are renamed into place), but a hand-edited one can.
    std::cerr << "warning: " << path << ": unreadable (" << e.what() << "), ignored\n";
    return nlohmann::json::object();
  }
}

SubmitLock::SubmitLock(const ExperimentDir& dir) {
  fd_ = ::open(dir.lock_path().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(dir.lock_path() + ": cannot open: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << "waiting for another moelaw submit on " << dir.root() << " to finish...\n";
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) throw std::runtime_error(dir.lock_path() + ": flock: " + std::strerror(errno));
  }
}

SubmitLock::~SubmitLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace moelaw::launcher
