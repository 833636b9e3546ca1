// `moelaw plan EXP.toml [--json]`: the runs an experiment grid expands to, with checkpoint reuse.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "analysis/forecast_study.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "launcher/plan.hpp"
#include "launcher/plan_json.hpp"
#include "launcher/run_state.hpp"

namespace moelaw::cli {

int cmd_plan(const Argv& argv) {
  Args args("plan", argv, {{"--json", false}, {"--exp-dir", true}, {"--forecast", true, true}},
            "moelaw plan EXP.toml [--json] [--exp-dir EXP_DIR] [--forecast MODEL.json]...\n\n"
            "Expands an experiment grid into runs: per model, LR and seed one constant-LR trunk with\n"
            "pinned checkpoints where each length's decay starts, and one cooldown run per length\n"
            "branching from it. Prints each run's LR, batch ramp and FLOPs, and the tokens trained\n"
            "with reuse against independent runs.\n"
            "  --json             the plan as JSON (runs, tokens_with_reuse, tokens_without_reuse, ...)\n"
            "  --exp-dir EXP_DIR  against the runs already there: what each run has done and what is\n"
            "                     left to train (a trunk of a grown grid goes on from its last checkpoint)\n"
            "  --forecast MODEL.json  each cooldown of the model MODEL.json was fitted on (`moelaw forecast\n"
            "                     fit` on its run directories) gets its forecast final loss (repeatable)\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1);
  auto experiment = launcher::load_experiment(args.positionals()[0]);
  auto plan = launcher::make_plan(experiment);

  auto plan_json = launcher::plan_to_json(experiment, plan);
  // Tokens each run has trained on disk (0 without --exp-dir), from the run directories.
  std::vector<int64_t> done(plan.runs.size(), 0);
  int64_t left = 0;
  if (auto exp_dir = args.value("--exp-dir")) {
    launcher::ExperimentDir dir(*exp_dir);
    for (size_t i = 0; i < plan.runs.size(); ++i) {
      const auto& r = plan.runs[i];
      auto status = launcher::run_status(dir, plan_json["runs"][i], {});
      done[i] = std::clamp<int64_t>(status.tokens_done, r.start_tokens, r.target_tokens);
      plan_json["runs"][i]["tokens_done"] = done[i];
      plan_json["runs"][i]["tokens_left"] = r.target_tokens - done[i];
      left += r.target_tokens - done[i];
    }
    plan_json["tokens_left"] = left;
  }

  const auto models = analysis::read_study_models(args.values("--forecast"));
  std::vector<std::optional<double>> forecast(plan.runs.size());
  for (size_t i = 0; i < plan.runs.size(); ++i)
    if (!models.empty() && plan.runs[i].role == "cooldown") {
      forecast[i] = analysis::forecast_config_final(models, plan.runs[i].config_toml, plan.runs[i].name);
      if (forecast[i]) plan_json["runs"][i]["forecast_final_loss"] = *forecast[i];
    }

  if (args.flag("--json")) {
    std::cout << plan_json.dump(2) << "\n";
    return 0;
  }

  std::printf("experiment %s: %zu runs\n\n", experiment.name.c_str(), plan.runs.size());
  std::printf("%-40s %-8s %10s %10s %-11s %10s  %s\n", "run", "role", "from", "to", "lr", "FLOPs",
              "batch ramp (from:tokens/step) / branches from");
  for (const auto& r : plan.runs) {
    std::string ramp;
    for (auto [from, size] : r.batch_ramp)
      ramp.append(ramp.empty() ? "" : " ").append(launcher::format_tokens(static_cast<double>(from))).append(":").append(
          std::to_string(size));
    std::string extra = r.role == "trunk" ? ramp : ramp + "  <- " + r.init_from;
    const size_t i = static_cast<size_t>(&r - plan.runs.data());
    if (args.value("--exp-dir") && done[i] > r.start_tokens)
      extra += done[i] >= r.target_tokens ? "  [done]"
                                          : "  [on disk to " + launcher::format_tokens(static_cast<double>(done[i])) + "]";
    if (forecast[i]) extra += "  forecast " + std::to_string(*forecast[i]);
    std::printf("%-40s %-8s %10s %10s %-11.4g %10.3g  %s\n", r.name.c_str(), r.role.c_str(),
                launcher::format_tokens(static_cast<double>(r.start_tokens)).c_str(),
                launcher::format_tokens(static_cast<double>(r.target_tokens)).c_str(), r.lr, r.flops,
                extra.c_str());
  }
  std::printf("\ntokens trained: %s with reuse, %s as independent runs (%.1f%% saved)\n",
              launcher::format_tokens(static_cast<double>(plan.tokens_with_reuse)).c_str(),
              launcher::format_tokens(static_cast<double>(plan.tokens_without_reuse)).c_str(),
              100.0 * (1.0 - static_cast<double>(plan.tokens_with_reuse) /
                                 static_cast<double>(plan.tokens_without_reuse)));
  std::printf("FLOPs: %.4g with reuse, %.4g without\n", plan.flops_with_reuse, plan.flops_without_reuse);
  if (args.value("--exp-dir"))
    std::printf("still to train against %s: %s tokens\n", args.value("--exp-dir")->c_str(),
                launcher::format_tokens(static_cast<double>(left)).c_str());
  return 0;
}

}  // namespace moelaw::cli
