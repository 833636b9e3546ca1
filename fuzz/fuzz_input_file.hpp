#pragma once
// The loaders under test read files: each fuzz input is written to one temporary file per
// process (in /dev/shm when there is one, so the disk is not touched ~10^4 times a second).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace moelaw::fuzz {

inline std::string input_file(const uint8_t* data, size_t size, const char* extension) {
  static const std::string path = [&] {
    std::string dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    return dir + "/moelaw-fuzz-" + std::to_string(::getpid()) + extension;
  }();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace moelaw::fuzz
