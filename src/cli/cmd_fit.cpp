// `moelaw fit RUNS.csv --law LAW ...`: parses the options, runs analysis/'s fitting workflow, prints.
#include <iostream>

#include "analysis/fit_workflow.hpp"
#include "analysis/forecast_study.hpp"
#include "analysis/isoflop_report.hpp"
#include "analysis/lr_bs_report.hpp"
#include "analysis/lr_report.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "common/output_dir.hpp"

namespace moelaw::cli {

namespace {

using namespace moelaw::analysis;

const char* kFitUsage =
    "moelaw fit RUNS.csv --law chinchilla|joint|sparsity|moe-loglinear|lr|lr-bs|isoflop [options]\n\n"
    "Fits a law in log space (ln L̂ = logsumexp of its terms) by L-BFGS from an initialisation grid\n"
    "(all cores), minimising the sum over runs of Huber(ln L − ln L̂): the objective is evaluated at\n"
    "every grid point and L-BFGS runs from the best distinct points, in rounds of 128 until a round\n"
    "no longer improves the optimum.\n"
    "N is n_act for chinchilla, joint and moe-loglinear, n_total for sparsity; D is tokens.\n"
    "  --law LAW            the law (lr: ln LR* = c0 + c1 ln N + c2 ln E from LR sweeps; lr-bs:\n"
    "                       LR* = eta0·N^eta_n·D^eta_d, BS* = b0·D^b_d from LR × batch_tokens sweeps;\n"
    "                       isoflop: L quadratic in ln N, −ln(1−S) per budget, and its optimum)\n"
    "  --by COLUMN          one fit per value of COLUMN (e.g. --by experts for chinchilla)\n"
    "  --out DIR            write coefficients.{toml,json}, table.{md,tex} and plots there\n"
    "  --json               print {law, coefficients, rmse_train, rmse_holdout, ...} on stdout\n"
    "  --init-grid SPEC     replace grid axes: 'alpha=0,0.5;ln_A=5' (parameter names in errors)\n"
    "  --huber-delta X      Huber δ (defaults: chinchilla, sparsity, moe-loglinear 1e-3; joint 0.01)\n"
    "  --holdout SPEC       lowest-loss:K, or COLUMN=VALUE (experts=32, sparsity=0.98)\n"
    "  --bootstrap N        N refits on resampled runs: 10th and 90th percentiles\n"
    "  --fraction F         runs per bootstrap refit, as a fraction of the training runs (0.8)\n"
    "  --weights COLUMN     weight each run's Huber term by COLUMN\n"
    "  --n-column COLUMN    read the law's N from COLUMN (e.g. n_act_nonembedding for tiny models)\n"
    "  --threads T          threads for the starts (default: all cores)\n"
    "  --exhaustive         L-BFGS from every grid point, as the papers did (slow on large grids)\n"
    "  --recipe R           lr-bs: optimum of a group by 'surface' (quadratic in ln LR, ln BS) or\n"
    "                       'band' (runs within --band of the best loss, default 0.005)\n"
    "  --exclude-forecast   leave out the rows `collect --forecast` marked forecast = 1\n"
    "RMSEs are of ln L over the training and the held-out runs. --bootstrap defaults to 200 for lr-bs.\n";

int print(const std::string& text, const std::vector<std::string>& notes = {}) {
  std::cout << text;
  for (const auto& n : notes) std::cerr << "note: " << n << "\n";
  return 0;
}

int fit_lr(const Args& args, const RunsTable& table) {
  LrFit f = fit_lr_law(table);
  auto notes = args.value("--out") ? write_lr_files(*args.value("--out"), f) : std::vector<std::string>{};
  return print(args.flag("--json") ? lr_json(f).dump(1) + "\n" : lr_text(f), notes);
}

int fit_lr_bs(const Args& args, const RunsTable& table) {
  LrBsOptions o;
  std::string recipe = args.value("--recipe").value_or("surface");
  if (recipe != "surface" && recipe != "band") args.fail("--recipe must be surface or band, got '" + recipe + "'");
  o.recipe = recipe == "surface" ? OptimumRecipe::surface : OptimumRecipe::band;
  o.band = args.real("--band").value_or(o.band);
  o.bootstrap = static_cast<int>(args.integer("--bootstrap").value_or(o.bootstrap));
  LrBsFit f = fit_lr_bs_law(table, o);
  if (auto out = args.value("--out")) write_lr_bs_files(*out, f);
  return print(args.flag("--json") ? lr_bs_json(f).dump(1) + "\n" : lr_bs_markdown(f));
}

}  // namespace

int cmd_fit(const Argv& argv) {
  Args args("fit", argv,
            {{"--law", true}, {"--by", true}, {"--out", true}, {"--json", false}, {"--init-grid", true},
             {"--huber-delta", true}, {"--holdout", true}, {"--bootstrap", true}, {"--fraction", true},
             {"--weights", true}, {"--threads", true}, {"--n-column", true}, {"--exclude-forecast", false},
             {"--exhaustive", false}, {"--recipe", true}, {"--band", true}},
            kFitUsage);
  if (args.help()) return print(args.usage());
  args.expect_positionals(1, 1);
  auto law_name = args.value("--law");
  if (!law_name) args.fail("--law is required");
  // Before the fit, which can take minutes: an --out that names a file is an error now.
  if (auto out = args.value("--out")) create_output_directory(*out, "--out directory");
  RunsTable table = read_runs_csv(args.positionals()[0]);
  if (args.flag("--exclude-forecast")) drop_forecast_rows(table);
  if (table.rows.empty()) throw UsageError(table.source + ": no runs in the table");
  if (*law_name == "lr") return fit_lr(args, table);
  if (*law_name == "lr-bs") return fit_lr_bs(args, table);
  if (*law_name == "isoflop") {
    auto fits = fit_isoflop(table);
    return print(args.flag("--json") ? isoflop_json(fits).dump(1) + "\n" : isoflop_markdown(fits));
  }

  FitRequest request;
  request.law = *law_name;
  law_spec(request.law);  // an unknown law is reported before the other options
  request.options.huber_delta = args.real("--huber-delta").value_or(-1);
  request.options.progress_seconds = 5;  // a large table takes minutes: say how far it is
  if (args.value("--huber-delta") && !(request.options.huber_delta > 0)) args.fail("--huber-delta must be positive");
  if (auto t = args.integer("--threads")) {
    if (*t < 1) args.fail("--threads must be at least 1");
    request.options.threads = static_cast<unsigned>(*t);
  }
  request.options.exhaustive = args.flag("--exhaustive");
  request.by = args.value("--by").value_or("");
  request.init_grid = args.value("--init-grid").value_or("");
  request.holdout = args.value("--holdout").value_or("");
  request.weights = args.value("--weights").value_or("");
  request.n_column = args.value("--n-column").value_or("");
  request.bootstrap = static_cast<int>(args.integer("--bootstrap").value_or(0));
  request.fraction = args.real("--fraction").value_or(0.8);

  FitOutcome outcome = run_fit(table, request);
  auto notes = args.value("--out") ? write_fit_files(*args.value("--out"), outcome) : std::vector<std::string>{};
  return print(args.flag("--json") ? fit_outcome_json(outcome).dump(1) + "\n" : fit_outcome_text(outcome), notes);
}

}  // namespace moelaw::cli
