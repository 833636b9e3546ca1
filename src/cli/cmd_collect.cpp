// `moelaw collect EXP_DIR... --out runs.csv`: the runs table of every finished run under the
// experiment directories (analysis/collect.hpp); the ones not collected are listed on stderr.
#include <iostream>

#include "analysis/collect.hpp"
#include "analysis/forecast_study.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"

namespace moelaw::cli {

int cmd_collect(const Argv& argv) {
  Args args("collect", argv, {{"--out", true}, {"--forecast", true, true}},
            "moelaw collect EXP_DIR... --out runs.csv [--forecast MODEL.json]...\n\n"
            "Scans the directories recursively for run directories and writes one CSV row per complete\n"
            "run (summary.json with \"complete\": true): run_id, n_act, n_total, n_act_nonembedding,\n"
            "tokens, experts, top_k, granularity, lr, seed, final_loss, init_from, then every other\n"
            "summary key, then run_dir. Incomplete and unreadable runs, and constant-LR trunks, are\n"
            "listed on stderr. --forecast MODEL.json (`moelaw forecast fit` on run directories of one\n"
            "model; repeatable): planned cooldowns of that model not trained get a row with their forecast\n"
            "final loss, and a column forecast says which rows are forecasts (1) and which trained (0).\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1000000);
  auto out_path = args.value("--out");
  if (!out_path) args.fail("--out is required");

  auto runs = analysis::collect_runs(args.positionals());
  if (!args.values("--forecast").empty())
    analysis::add_forecast_rows(runs, args.positionals(), args.values("--forecast"));
  analysis::write_runs_table(*out_path, runs);
  for (const auto& i : runs.not_collected) std::cerr << "not collected: " << i << "\n";
  std::cerr << "collected " << runs.complete.size() << " complete runs into " << *out_path << "; "
            << runs.not_collected.size() << " not collected (listed above)\n";
  return 0;
}

}  // namespace moelaw::cli
