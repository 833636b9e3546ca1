#pragma once
// Runs a shell command for CLI tests and captures its stdout, stderr and exit status.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace moelaw::testing {

struct CommandResult {
  int status = -1;  // exit status, or -1 if killed by a signal
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `command` is passed to /bin/sh; stdin is `stdin_text` (written to a temporary file).
inline CommandResult run_command(const std::string& command, const std::string& stdin_text = "") {
  char dir_template[] = "/tmp/moelaw-test-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::ofstream(dir + "/in", std::ios::binary) << stdin_text;
  std::string full = command + " <" + dir + "/in >" + dir + "/out 2>" + dir + "/err";
  int raw = std::system(full.c_str());
  CommandResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  std::system(("rm -rf " + dir).c_str());
  return r;
}

// The moelaw under test: the build's, or $MOELAW_BIN where the tests run away from the build tree
// (a GPU machine running scripts/device/run.sh).
inline std::string moelaw_command(const std::string& args) {
  const char* moved = std::getenv("MOELAW_BIN");
  return std::string(moved && *moved ? moved : MOELAW_BINARY) + " " + args;
}

}  // namespace moelaw::testing
