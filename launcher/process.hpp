#pragma once
// Runs a program with an argument vector (no shell: nothing in an argument is interpreted) and
// captures its output. Used for sbatch, squeue, scancel and the local executor.
#include <sys/types.h>

#include <string>
#include <vector>

namespace moelaw::launcher {

struct ProcessResult {
  int status = -1;      // exit status; 128 + signal if killed; 127 if it could not be started
  std::string out, err;
};

ProcessResult run_process(const std::vector<std::string>& argv);

// Runs with stdout and stderr appended to `log_path`; returns the exit status as above.
// `child`, if given, holds the child's pid while it runs (for a signal handler to pass signals on).
int run_process_logged(const std::vector<std::string>& argv, const std::string& log_path,
                       volatile pid_t* child = nullptr);

// Is `program` on PATH?
bool on_path(const std::string& program);

}  // namespace moelaw::launcher
