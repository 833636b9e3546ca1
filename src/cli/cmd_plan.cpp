// `moelaw plan EXP.toml [--json]`: the runs an experiment grid expands to, with checkpoint reuse.
#include <cstdio>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "launcher/plan.hpp"
#include "launcher/plan_json.hpp"

namespace moelaw::cli {

int cmd_plan(const Argv& argv) {
  Args args("plan", argv, {{"--json", false}},
            "moelaw plan EXP.toml [--json]\n\n"
            "Expands an experiment grid into runs: per model, LR and seed one constant-LR trunk with\n"
            "pinned checkpoints where each length's decay starts, and one cooldown run per length\n"
            "branching from it. Prints each run's LR, batch ramp and FLOPs, and the tokens trained\n"
            "with reuse against independent runs.\n"
            "  --json   the plan as JSON (runs, tokens_with_reuse, tokens_without_reuse, ...)\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1);
  auto experiment = launcher::load_experiment(args.positionals()[0]);
  auto plan = launcher::make_plan(experiment);

  if (args.flag("--json")) {
    std::cout << launcher::plan_to_json(experiment, plan).dump(2) << "\n";
    return 0;
  }

  std::printf("experiment %s: %zu runs\n\n", experiment.name.c_str(), plan.runs.size());
  std::printf("%-40s %-8s %10s %10s %-11s %10s  %s\n", "run", "role", "from", "to", "lr", "FLOPs",
              "batch ramp (from:tokens/step) / branches from");
  for (const auto& r : plan.runs) {
    std::string ramp;
    for (auto [from, size] : r.batch_ramp)
      ramp += (ramp.empty() ? "" : " ") + launcher::format_tokens(static_cast<double>(from)) + ":" +
              std::to_string(size);
    std::string extra = r.role == "trunk" ? ramp : ramp + "  <- " + r.init_from;
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
  return 0;
}

}  // namespace moelaw::cli
