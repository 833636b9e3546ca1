#include "common/errors.hpp"

namespace moelaw {

std::string located(const std::string& path, long line, const std::string& message) {
  if (line > 0) return path + ":" + std::to_string(line) + ": " + message;
  return path + ": " + message;
}

}  // namespace moelaw
