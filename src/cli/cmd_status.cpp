// `moelaw status EXP_DIR [--json]`: one row per run of the plan submitted last, and totals.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "analysis/forecast_study.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "launcher/experiment_status.hpp"
#include "launcher/plan.hpp"

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
  const launcher::ExperimentDir dir(args.positionals()[0]);
  const auto status = launcher::experiment_status(dir);
  const auto& rows = status.runs;
  std::vector<std::optional<analysis::RunForecast>> forecasts;
  for (const auto& s : rows)
    forecasts.push_back(s.state == launcher::RunState::running || s.state == launcher::RunState::preempted
                            ? analysis::forecast_final_loss(dir.run_dir(s.name))
                            : std::nullopt);
  if (args.flag("--json")) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& s : rows) {
      auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
      const auto& f = forecasts[runs.size()];
      runs.push_back({{"name", s.name}, {"role", s.role}, {"state", launcher::state_name(s.state)},
                      {"tokens_done", s.tokens_done}, {"target_tokens", s.target_tokens},
                      {"last_loss", opt(s.last_loss)}, {"final_loss", opt(s.final_loss)},
                      {"job_id", s.job_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.job_id)},
                      {"scheduler_state", s.job && !s.job->state.empty() ? nlohmann::json(s.job->state) : nlohmann::json(nullptr)},
                      {"init_from", s.init_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.init_from)},
                      {"detail", s.detail},
                      {"forecast", f ? nlohmann::json{{"final_loss", f->loss}, {"low", f->low}, {"high", f->high},
                                                      {"final_step", f->final_step}, {"points", f->points}}
                                     : nlohmann::json(nullptr)}});
    }
    nlohmann::json out = {{"experiment", status.experiment}, {"runs", runs}, {"totals", status.totals},
                          {"tokens_done", status.tokens_done}, {"tokens_planned", status.tokens_planned}};
    if (!status.note.empty()) out["note"] = status.note;
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
  for (auto& [state, n] : status.totals) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  std::printf("\n%zu runs: %s; %s of %s tokens trained\n", rows.size(), summary.c_str(),
              launcher::format_tokens(static_cast<double>(status.tokens_done)).c_str(),
              launcher::format_tokens(static_cast<double>(status.tokens_planned)).c_str());
  if (!status.note.empty()) std::printf("%s\n", status.note.c_str());
  return 0;
}

}  // namespace moelaw::cli
