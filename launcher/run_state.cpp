#include "launcher/run_state.hpp"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "common/file_io.hpp"
#include "train/metrics_log.hpp"
#include "train/run_dir.hpp"
#include "train/run_lock.hpp"

namespace moelaw::launcher {

namespace fs = std::filesystem;

const char* state_name(RunState s) {
  switch (s) {
    case RunState::planned: return "planned";
    case RunState::queued: return "queued";
    case RunState::running: return "running";
    case RunState::preempted: return "preempted";
    case RunState::done: return "done";
    case RunState::failed: return "failed";
  }
  return "?";
}

namespace {

struct ExitRecord {
  int status = -1;
  std::string job_id;
};

std::optional<ExitRecord> read_exit_record(const std::string& path) {
  const auto text = read_file_if_exists(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  ExitRecord r;
  if (!(in >> r.status >> r.job_id)) return std::nullopt;
  return r;
}

}  // namespace

RunStatus run_status(const ExperimentDir& dir, const nlohmann::json& planned, const ExecutorJobs& jobs) {
  RunStatus s;
  s.name = planned.at("name").get<std::string>();
  s.role = planned.value("role", "");
  if (planned.contains("init_from") && planned["init_from"].is_string()) s.init_from = planned["init_from"];
  s.target_tokens = planned.value("target_tokens", int64_t{0});

  train::RunDir run(dir.run_dir(s.name));
  std::optional<train::RunSummary> summary;
  try {
    summary = run.summary();
  } catch (const std::exception& e) {
    s.detail = e.what();
  }
  try {
    auto metrics = train::MetricsLog::load(run.metrics_path());
    if (!metrics.steps.empty()) {
      s.tokens_done = metrics.steps.back().tokens;
      s.last_loss = metrics.steps.back().loss;
    }
  } catch (const std::exception&) {
    // Being rewritten or damaged: the summary and the scheduler still tell the state.
  }
  const bool complete = summary && summary->complete;
  const int64_t summary_tokens = complete ? summary->tokens : 0;
  if (complete) {
    s.tokens_done = std::max(s.tokens_done, summary_tokens);
    if (std::isfinite(summary->final_loss)) s.final_loss = summary->final_loss;
  }

  const auto record = dir.read_json(dir.record_path(s.name));
  s.job_id = record.value("job_id", "");
  if (auto it = jobs.find(s.name); it != jobs.end()) s.job = it->second;
  if (s.job && s.job->active) s.job_id = s.job->id;
  const auto exit = read_exit_record(dir.exit_path(s.name));
  const bool exit_is_current = exit && !s.job_id.empty() && exit->job_id == s.job_id;

  if (complete && summary_tokens >= s.target_tokens) {
    s.state = RunState::done;
  } else if (s.job && s.job->active) {
    s.state = s.job->running ? RunState::running : RunState::queued;
    if (s.state == RunState::queued && exit_is_current && exit->status == 75) s.state = RunState::preempted;
    if (!s.job->reason.empty()) s.detail = s.job->reason == "None" ? "" : s.job->reason;
  } else if (train::running_trainer(run)) {  // a live trainer holds the run's lock, whoever started it
    s.state = RunState::running;
  } else if (s.job_id.empty() && !exit) {
    s.state = RunState::planned;
  } else if (exit_is_current && exit->status == 75) {
    s.state = RunState::preempted;
  } else if (complete || (exit_is_current && exit->status == 0)) {
    s.state = RunState::planned;  // finished a shorter plan: to be extended
    s.detail = "complete at " + std::to_string(summary_tokens) + " tokens, to be extended";
  } else {
    s.state = RunState::failed;
    if (exit_is_current) s.detail = "exit status " + std::to_string(exit->status);
    else if (s.job) s.detail = "job " + s.job->id + " " + s.job->state;
    else s.detail = "job " + s.job_id + " ended without finishing";
  }
  return s;
}

}  // namespace moelaw::launcher
