#pragma once
// Starts a command in the background with its stdout piped back, to watch a run's progress and
// signal it at a chosen step (preemption tests).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace moelaw::testing {

class Process {
 public:
  explicit Process(const std::string& command) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Process() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (out_) fclose(out_);
  }
  // Reads stdout lines until one contains `text` (true) or the output ends (false).
  bool wait_for_line(const std::string& text) {
    char line[4096];
    while (fgets(line, sizeof line, out_)) {
      output_ += line;
      if (std::string(line).find(text) != std::string::npos) return true;
    }
    return false;
  }
  void signal(int sig) { kill(pid_, sig); }
  pid_t pid() const { return pid_; }  // the command's own (the shell execs it)
  // Exit status (or 128 + signal), draining the rest of the output.
  int wait() {
    char line[4096];
    while (out_ && fgets(line, sizeof line, out_)) output_ += line;
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool reaped_ = false;
  std::string output_;
};

}  // namespace moelaw::testing
