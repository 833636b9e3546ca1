// `moelaw status EXP_DIR [--json]`: one row per run of the plan submitted last, and totals.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "analysis/forecast_study.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "launcher/experiment_dir.hpp"
#include "launcher/plan.hpp"
#include "launcher/process.hpp"
#include "launcher/run_state.hpp"
#include "launcher/slurm_client.hpp"

namespace moelaw::cli {

int cmd_status(const Argv& argv) {
  Args args("status", argv, {{"--json", false}},
            "moelaw status EXP_DIR [--json]\n\n"
            "One row per run of the experiment submitted to EXP_DIR: state (planned, queued, running,\n"
            "preempted, done, failed), tokens done of planned, last training loss, held-out loss when\n"
            "done, job id, and the trunk a cooldown branches from; then totals. The run directories\n"
            "say what is done; SLURM's squeue, when it answers, says what is queued or running.\n"
            "A running or preempted run with 12 or more points of curve also shows its forecast final\n"
            "loss and an interval (the multi-power law fitted to its curve so far: `moelaw forecast`).\n"
            "  --json   {experiment, runs: [{name, state, job_id, init_from, forecast, ...}], totals}\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1);
  launcher::ExperimentDir dir(args.positionals()[0]);
  if (!std::filesystem::exists(dir.plan_path()))
    throw UsageError(dir.root() + ": no plan.json: not an experiment directory written by `moelaw submit`");
  auto plan = dir.read_json(dir.plan_path());
  if (!plan.contains("runs") || !plan["runs"].is_array()) throw UsageError(dir.plan_path() + ": no \"runs\" list");

  std::vector<launcher::SlurmJob> jobs;
  std::string scheduler_note;
  bool uses_slurm = false;
  for (const auto& r : plan["runs"])
    if (dir.read_json(dir.record_path(r.value("name", ""))).value("executor", "") == "slurm") uses_slurm = true;
  if (uses_slurm) {
    try {
      jobs = launcher::SlurmClient().jobs_with_prefix(dir.job_name(""));
    } catch (const std::exception& e) {
      scheduler_note = std::string("SLURM not reachable, states from the run directories only: ") + e.what();
    }
  }

  std::vector<launcher::RunStatus> rows;
  std::vector<std::optional<analysis::RunForecast>> forecasts;
  std::map<std::string, int> totals;
  int64_t tokens_done = 0, tokens_planned = 0;
  for (const auto& r : plan["runs"]) {
    rows.push_back(launcher::run_status(dir, r, jobs));
    const auto& s = rows.back();
    const bool going = s.state == launcher::RunState::running || s.state == launcher::RunState::preempted;
    forecasts.push_back(going ? analysis::forecast_final_loss(dir.run_dir(s.name)) : std::nullopt);
    ++totals[launcher::state_name(s.state)];
    int64_t start = r.value("start_tokens", int64_t{0});
    tokens_planned += s.target_tokens - start;
    tokens_done += std::clamp<int64_t>(s.tokens_done - start, 0, s.target_tokens - start);
  }

  if (args.flag("--json")) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& s : rows) {
      auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
      const auto& f = forecasts[runs.size()];
      runs.push_back({{"name", s.name}, {"role", s.role}, {"state", launcher::state_name(s.state)},
                      {"tokens_done", s.tokens_done}, {"target_tokens", s.target_tokens},
                      {"last_loss", opt(s.last_loss)}, {"final_loss", opt(s.final_loss)},
                      {"job_id", s.job_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.job_id)},
                      {"scheduler_state", s.job ? nlohmann::json(s.job->state) : nlohmann::json(nullptr)},
                      {"init_from", s.init_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.init_from)},
                      {"detail", s.detail},
                      {"forecast", f ? nlohmann::json{{"final_loss", f->loss}, {"low", f->low}, {"high", f->high},
                                                      {"final_step", f->final_step}, {"points", f->points}}
                                     : nlohmann::json(nullptr)}});
    }
    nlohmann::json out = {{"experiment", plan.value("experiment", "")}, {"runs", runs}, {"totals", totals},
                          {"tokens_done", tokens_done}, {"tokens_planned", tokens_planned}};
    if (!scheduler_note.empty()) out["note"] = scheduler_note;
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-44s %-9s %17s %8s %8s %-8s %s\n", "run", "state", "tokens", "loss", "held-out", "job",
              "branches from / detail");
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& s = rows[i];
    std::string tokens = launcher::format_tokens(static_cast<double>(s.tokens_done)) + "/" +
                         launcher::format_tokens(static_cast<double>(s.target_tokens));
    char loss[32] = "-", held[32] = "-";
    if (s.last_loss) std::snprintf(loss, sizeof loss, "%.4f", *s.last_loss);
    if (s.final_loss) std::snprintf(held, sizeof held, "%.4f", *s.final_loss);
    std::string extra = s.init_from.empty() ? "" : "<- " + s.init_from;
    if (!s.detail.empty()) extra += (extra.empty() ? "" : "  ") + s.detail;
    if (const auto& f = forecasts[i]) extra += (extra.empty() ? "" : "  ") + analysis::format_forecast(*f);
    std::printf("%-44s %-9s %17s %8s %8s %-8s %s\n", s.name.c_str(), launcher::state_name(s.state), tokens.c_str(),
                loss, held, s.job_id.empty() ? "-" : s.job_id.c_str(), extra.c_str());
  }
  std::string summary;
  for (auto& [state, n] : totals) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  std::printf("\n%zu runs: %s; %s of %s tokens trained\n", rows.size(), summary.c_str(),
              launcher::format_tokens(static_cast<double>(tokens_done)).c_str(),
              launcher::format_tokens(static_cast<double>(tokens_planned)).c_str());
  if (!scheduler_note.empty()) std::printf("%s\n", scheduler_note.c_str());
  return 0;
}

}  // namespace moelaw::cli
