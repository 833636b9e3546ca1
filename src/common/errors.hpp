#pragma once
// Error kinds and the exit status each maps to (see `moelaw --help`).
#include <stdexcept>
#include <string>

namespace moelaw {

enum ExitStatus : int {
  kExitOk = 0,
  kExitFailure = 1,    // something went wrong while working
  kExitUsage = 2,      // bad command line, configuration or input data
  kExitPreempted = 75, // EX_TEMPFAIL: stopped on a signal after a checkpoint; resumable
};

// The user gave something wrong: a flag, a configuration key, a malformed input file.
// The message says what and where (file, line, key, row, rank).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "path:line: message" when the line is known, "path: message" otherwise.
std::string located(const std::string& path, long line, const std::string& message);

}  // namespace moelaw
