// `moelaw submit EXP.toml --executor slurm|local --out EXP_DIR [--dry-run] [--template FILE]`
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "launcher/executor.hpp"
#include "launcher/plan.hpp"
#include "launcher/submit.hpp"

namespace moelaw::cli {

int cmd_submit(const Argv& argv) {
  std::string executors;  // "slurm|local"
  for (const auto& name : launcher::executor_names()) executors += (executors.empty() ? "" : "|") + name;
  Args args("submit", argv,
            {{"--executor", true}, {"--out", true}, {"--dry-run", false}, {"--template", true},
             {"--signal-seconds", true}},
            "moelaw submit EXP.toml --executor " + executors + " --out EXP_DIR [--dry-run] [--template FILE]\n\n"
            "Plans the grid (see `moelaw plan`), writes EXP_DIR (plan.json, configs/, jobs/, logs/, runs/)\n"
            "and starts every run that is not done. Submitting again is safe: done, queued and running\n"
            "runs are left alone; failed and preempted ones are submitted again; a grid extended with a\n"
            "longer length continues its trunk from the last checkpoint. A lock on EXP_DIR keeps two\n"
            "submitters from duplicating jobs.\n"
            + launcher::executor_help() +
            "  --dry-run           print what would be submitted and one batch script; change nothing\n"
            "  --template FILE     batch-script template (default: slurm/job.sbatch.in, built in)\n"
            "  --signal-seconds S  SLURM signals a job S seconds before its time limit (default 120)\n"
            "Exit status: 0 submitted or done, 1 a local run failed, 2 bad experiment, 75 interrupted.\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1);
  launcher::SubmitOptions options;
  options.executor = args.value("--executor").value_or("");
  if (options.executor.empty()) args.fail("--executor " + executors + " is required");
  const auto names = launcher::executor_names();
  if (std::find(names.begin(), names.end(), options.executor) == names.end())
    args.fail("--executor must be " + launcher::executor_choices() + ", got \"" + options.executor + "\"");
  options.exp_dir = args.value("--out").value_or("");
  if (options.exp_dir.empty()) args.fail("--out EXP_DIR is required");
  options.dry_run = args.flag("--dry-run");
  options.template_path = args.value("--template").value_or("");
  if (auto s = args.integer("--signal-seconds")) {
    if (*s < 1) args.fail("--signal-seconds must be positive");
    options.signal_seconds = static_cast<int>(*s);
  }
  options.moelaw_binary = std::filesystem::canonical("/proc/self/exe").string();
  options.workdir = std::filesystem::current_path().string();

  auto experiment = launcher::load_experiment(args.positionals()[0]);
  auto plan = launcher::make_plan(experiment);
  return launcher::submit(experiment, plan, options);
}

}  // namespace moelaw::cli
