#pragma once
// What `moelaw train` prints while it works: the run's header, a line per logged step and per
// evaluation, resumption and stop notes, and the closing lines. Only rank 0 prints; every line is
// flushed as it is written, so a job's log shows where the run stands.
#include <chrono>
#include <cstdint>
#include <string>

namespace moelaw::train {

struct StepLine {
  int64_t step = 0, tokens = 0, target_tokens = 0;
  double loss = 0, lr = 0, grad_norm = 0;
  bool moe = false;
  double dropped_fraction = 0;  // MoE: of the step's expert choices
};

class ProgressLog {
 public:
  explicit ProgressLog(bool lead) : lead_(lead) {}
  bool lead() const { return lead_; }

  // Any one line (set-up notes such as the exchanges chosen), as printf would.
  void note(const std::string& line) const;
  void warn(const std::string& line) const;  // on stderr
  // `held_here` of the `parameters` on each rank when the experts are split over `expert_ranks`
  // (both 0 when every rank holds the whole model).
  void header(const std::string& run, int64_t parameters, int64_t held_here, int expert_ranks,
              int64_t active_nonembedding, double peak_lr, int64_t tokens, int ranks) const;
  // The throughput and ETA count from the first call of start().
  void start(int64_t tokens);
  void step(const StepLine& s) const;
  void eval(int64_t step, double loss, int64_t tokens_evaluated) const;
  void resumed(const std::string& checkpoint, int64_t step, int64_t tokens) const;
  void stopped(int signal, int64_t step) const;  // on stderr
  void done(int64_t steps, int64_t tokens, double held_out_loss) const;
  // MoE on several ranks: the time the expert all-to-all took, of the whole run's.
  void exchange_time(double exchange_seconds, bool host_time_only) const;

 private:
  using Clock = std::chrono::steady_clock;
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }
  bool lead_;
  Clock::time_point started_ = Clock::now();
  int64_t tokens_at_start_ = 0;
};

// "12m05s", "3h07m"; "?" when unknown.
std::string format_duration(double seconds);

}  // namespace moelaw::train
