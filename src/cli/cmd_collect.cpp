// `moelaw collect EXP_DIR... --out runs.csv`: the runs table of every finished run under the
// experiment directories (analysis/collect.hpp); the ones not collected are listed on stderr.
#include <iostream>

#include "analysis/collect.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"

namespace moelaw::cli {

int cmd_collect(const Argv& argv) {
  Args args("collect", argv, {{"--out", true}},
            "moelaw collect EXP_DIR... --out runs.csv\n\n"
            "Scans the directories recursively for run directories and writes one CSV row per complete\n"
            "run (summary.json with \"complete\": true): run_id, n_act, n_total, n_act_nonembedding,\n"
            "tokens, experts, top_k, granularity, lr, seed, final_loss, init_from, then every other\n"
            "summary key, then run_dir. Incomplete and unreadable runs, and constant-LR trunks, are\n"
            "listed on stderr.\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1000000);
  auto out_path = args.value("--out");
  if (!out_path) args.fail("--out is required");

  const auto runs = analysis::collect_runs(args.positionals());
  analysis::write_runs_table(*out_path, runs);
  for (const auto& i : runs.not_collected) std::cerr << "not collected: " << i << "\n";
  std::cerr << "collected " << runs.complete.size() << " complete runs into " << *out_path << "; "
            << runs.not_collected.size() << " not collected (listed above)\n";
  return 0;
}

}  // namespace moelaw::cli
