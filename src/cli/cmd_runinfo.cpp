// `moelaw runinfo RUN_DIR [--json]`: what a run has done so far, from its metrics and summary.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "checkpoint/checkpoint_file.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "train/metrics_log.hpp"
#include "train/run_dir.hpp"

namespace moelaw::cli {

int cmd_runinfo(const Argv& argv) {
  Args args("runinfo", argv, {{"--json", false}},
            "moelaw runinfo RUN_DIR [--json]\n\n"
            "Steps and tokens done, the training loss of every step, the evaluation losses and, once\n"
            "the run is complete, its summary. --json prints steps, tokens, final_eval_loss,\n"
            "train_loss (one value per step), eval_loss (objects with step, tokens, loss), complete.\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1);
  train::RunDir run(args.positionals()[0]);
  if (!std::filesystem::exists(run.metrics_path()))
    throw UsageError(run.path() + ": not a run directory (no metrics.h5)");
  train::MetricsLog log;
  try {
    log = train::MetricsLog::load(run.metrics_path());
  } catch (const checkpoint::CorruptCheckpoint& e) {
    throw UsageError(std::string(e.what()) + " (runinfo reads the run's metrics.h5)");
  }
  int64_t steps = log.steps.empty() ? 0 : log.steps.back().step;
  int64_t tokens = log.steps.empty() ? 0 : log.steps.back().tokens;
  nlohmann::json final_eval = log.evals.empty() ? nlohmann::json(nullptr) : nlohmann::json(log.evals.back().loss);

  const auto summary = run.summary();
  if (args.flag("--json")) {
    nlohmann::json train_loss = nlohmann::json::array(), eval_loss = nlohmann::json::array();
    for (const auto& s : log.steps) train_loss.push_back(s.loss);
    for (const auto& e : log.evals) eval_loss.push_back({{"step", e.step}, {"tokens", e.tokens}, {"loss", e.loss}});
    nlohmann::json out = {{"run", run.path()},         {"steps", steps},
                          {"tokens", tokens},          {"final_eval_loss", final_eval},
                          {"train_loss", train_loss},  {"eval_loss", eval_loss},
                          {"complete", run.complete()}, {"summary", summary ? summary->to_json() : nlohmann::json::object()}};
    for (const auto& [name, values] : log.series) out["series"][name] = values;
    std::cout << out.dump(1) << "\n";  // doubles print with enough digits to round-trip exactly
    return 0;
  }
  std::printf("run %s: %lld steps, %lld tokens, %s\n", run.path().c_str(), static_cast<long long>(steps),
              static_cast<long long>(tokens), run.complete() ? "complete" : "not complete");
  if (!log.steps.empty()) std::printf("last training loss %.17g\n", log.steps.back().loss);
  for (const auto& e : log.evals)
    std::printf("eval at step %lld (%lld tokens): %.17g\n", static_cast<long long>(e.step),
                static_cast<long long>(e.tokens), e.loss);
  return 0;
}

}  // namespace moelaw::cli
