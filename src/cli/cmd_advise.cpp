// `moelaw advise RUNS.csv --law LAW --candidates FILE --budget FLOPS --target C`: parses the
// options, runs analysis/'s advisor, prints the chosen runs (and writes their grid with --grid).
#include <iostream>

#include "analysis/advise_grid.hpp"
#include "analysis/advisor.hpp"
#include "analysis/report.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/atomic_file.hpp"

namespace moelaw::cli {

namespace {

using namespace moelaw::analysis;

const char* kAdviseUsage =
    "moelaw advise RUNS.csv --law chinchilla|joint --candidates FILE --budget FLOPS --target C [options]\n\n"
    "Which candidate runs to train next: fits the law to the finished runs of RUNS.csv, then picks,\n"
    "within the FLOP budget, the runs that shrink the 80% interval (10th to 90th percentile) of the\n"
    "compute-optimal answer at compute C most per FLOP (greedy, each step looking one run ahead).\n"
    "The interval is the fit's linearisation (delta method on s²·(JᵀJ)⁻¹, s² the residual variance\n"
    "times the Huber factor), updated with each chosen run at the law's predicted loss.\n"
    "  --candidates FILE    a CSV with the runs table's columns without final_loss (run_id, tokens,\n"
    "                       n_act or d_model and n_blocks, experts, top_k; init_from for cooldowns of\n"
    "                       a trunk; optional flops, decay_fraction), or a grid TOML (every cooldown\n"
    "                       `moelaw plan` makes of it). FLOPs are 6·N_act·D, less the trunk part a\n"
    "                       finished or already chosen sibling cooldown has trained\n"
    "  --budget FLOPS       FLOPs the chosen runs may cost together\n"
    "  --target C           the compute (FLOPs, C = 6·N·D) the answer is for\n"
    "  --experts E          the joint law's E at the target (default 1)\n"
    "  --quantity Q         loss (default), N or D of the compute optimum\n"
    "  --lookahead K        first runs paired with a follow-up at each step (default 8)\n"
    "  --bootstrap B        also the bootstrap interval before (B refits), to check the linearisation\n"
    "  --simulate COEFFS    draw the chosen runs' losses from the law of COEFFS (what `fit --json`\n"
    "                       prints) with --noise (0.005, sd of ln L), refit, and report the error\n"
    "  --seed S             seed of the simulated noise and the bootstrap (default 1)\n"
    "  --grid OUT.toml      write the chosen runs as a grid for `moelaw plan` / `submit` (beside a grid\n"
    "                       candidates file, so that its relative paths still hold)\n"
    "  --json               {selected: [{run_id, flops, interval}], interval_before, interval_after, ...}:\n"
    "                       intervals are widths (p90 − p10) after each run; range_before/after their ends\n"
    "  --n-column COLUMN    read the law's N from COLUMN of both tables (n_act_nonembedding for tiny\n"
    "                       models, as in `fit`); FLOPs stay 6·N_act·D\n"
    "  --threads T          threads for the fits (default: all cores)\n";

}  // namespace

int cmd_advise(const Argv& argv) {
  Args args("advise", argv,
            {{"--law", true}, {"--candidates", true}, {"--budget", true}, {"--target", true}, {"--experts", true},
             {"--quantity", true}, {"--seed", true}, {"--json", false}, {"--grid", true}, {"--simulate", true},
             {"--noise", true}, {"--bootstrap", true}, {"--lookahead", true}, {"--threads", true},
             {"--n-column", true}},
            kAdviseUsage);
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1);
  AdviseRequest request;
  auto law = args.value("--law");
  if (!law) args.fail("--law is required (chinchilla or joint)");
  request.law = *law;
  auto candidates_path = args.value("--candidates");
  if (!candidates_path) args.fail("--candidates FILE is required");
  auto budget = args.real("--budget"), target = args.real("--target");
  if (!budget || !(*budget > 0)) args.fail("--budget FLOPS is required and must be positive");
  if (!target || !(*target > 0)) args.fail("--target C is required and must be positive");
  request.budget = *budget;
  request.target.compute = *target;
  request.target.experts = args.real("--experts").value_or(1);
  if (!(request.target.experts >= 1)) args.fail("--experts must be at least 1");
  request.target.quantity = parse_quantity(args.value("--quantity").value_or("loss"));
  request.seed = static_cast<uint64_t>(args.integer("--seed").value_or(1));
  request.bootstrap = static_cast<int>(args.integer("--bootstrap").value_or(0));
  if (request.bootstrap == 1 || request.bootstrap < 0) args.fail("--bootstrap needs at least 2 refits");
  request.select.lookahead = static_cast<int>(args.integer("--lookahead").value_or(8));
  if (request.select.lookahead < 1) args.fail("--lookahead must be at least 1");
  if (auto t = args.integer("--threads")) {
    if (*t < 1) args.fail("--threads must be at least 1");
    request.fit.threads = static_cast<unsigned>(*t);
  }
  request.fit.huber_delta = -1;
  request.n_column = args.value("--n-column").value_or("");
  request.noise = args.real("--noise").value_or(0.005);
  if (!(request.noise >= 0)) args.fail("--noise must not be negative");
  if (auto coeffs = args.value("--simulate")) {
    FitReport known = read_coefficients(*coeffs);
    if (known.law != request.law) args.fail("--simulate " + *coeffs + " holds a " + known.law + " law, not " + request.law);
    request.truth = law_spec(request.law).from_coefficients(known.coefficients);
  }

  RunsTable finished = read_runs_csv(args.positionals()[0]);
  CandidateSet candidates = read_candidates(*candidates_path);
  AdviseResult result = advise(finished, candidates, request);
  if (auto out = args.value("--grid"))
    write_file_atomically(*out, {advised_grid_toml(candidates, result.selection, "advised")});
  std::cout << (args.flag("--json") ? advise_json(result).dump(1) + "\n" : advise_text(result));
  return 0;
}

}  // namespace moelaw::cli
