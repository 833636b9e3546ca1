// `moelaw fit RUNS.csv --law LAW ...`: fits a scaling law to the runs table and writes the
// coefficients (TOML, JSON), Markdown and LaTeX tables and gnuplot plots.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/bootstrap.hpp"
#include "analysis/fit.hpp"
#include "analysis/forecast_study.hpp"
#include "analysis/holdout.hpp"
#include "analysis/lr_law.hpp"
#include "analysis/plots.hpp"
#include "analysis/report.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"

namespace moelaw::cli {

namespace {

using namespace moelaw::analysis;

const char* kUsage =
    "moelaw fit RUNS.csv --law chinchilla|joint|sparsity|moe-loglinear|lr [options]\n\n"
    "Fits a law in log space (ln L̂ = logsumexp of its terms) by L-BFGS from every point of an\n"
    "initialisation grid (all cores), minimising the sum over runs of Huber(ln L − ln L̂).\n"
    "N is n_act for chinchilla, joint and moe-loglinear, n_total for sparsity; D is tokens.\n"
    "  --law LAW            the law (lr: ln LR* = c0 + c1 ln N + c2 ln E from LR sweeps)\n"
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
    "  --exclude-forecast   leave out the rows `collect --forecast` marked forecast = 1\n"
    "RMSEs are of ln L over the training and the held-out runs.\n";

nlohmann::json lr_json(const LrFit& f) {
  nlohmann::json sweeps = nlohmann::json::array();
  for (const auto& s : f.sweeps)
    sweeps.push_back({{"n_act_nonembedding", s.n}, {"experts", s.experts}, {"best_lr", s.best_lr},
                      {"best_loss", s.best_loss}, {"from_parabola", s.from_parabola}, {"residual", s.residual}});
  return {{"law", "lr"},
          {"coefficients", {{"c0", f.c0}, {"c1", f.c1}, {"c2", f.c2}}},
          {"rmse_train", f.rmse},
          {"rmse_holdout", nullptr},
          {"sweeps", sweeps}};
}

int fit_lr(const Args& args, const RunsTable& table) {
  LrFit f = fit_lr_law(table);
  FitReport r;
  r.law = "lr";
  r.coefficients = {{"c0", f.c0}, {"c1", f.c1}, {"c2", f.c2}};
  r.rmse_train = f.rmse;
  r.rmse_holdout = NAN;
  r.n_train = f.sweeps.size();
  std::vector<std::string> notes;
  if (auto out = args.value("--out")) {
    std::filesystem::create_directories(*out);
    write_text_file(*out + "/coefficients.json", lr_json(f).dump(1) + "\n");
    write_text_file(*out + "/coefficients.toml", to_toml(r));
    write_text_file(*out + "/table.md", markdown_table({r}));
    write_text_file(*out + "/table.tex", latex_table({r}));
    notes = plot_lr(*out, f);
  }
  if (args.flag("--json")) {
    std::cout << lr_json(f).dump(1) << "\n";
  } else {
    std::cout << "ln LR* = c0 + c1 ln N + c2 ln E over " << f.sweeps.size() << " sweeps (RMSE of ln LR* " << f.rmse
              << ")\n\n" << markdown_table({r}) << "\n| N | E | LR* | loss at LR* | parabola | residual |\n|"
              << " ---: | ---: | ---: | ---: | --- | ---: |\n";
    for (const auto& s : f.sweeps)
      std::cout << "| " << s.n << " | " << s.experts << " | " << s.best_lr << " | " << s.best_loss << " | "
                << (s.from_parabola ? "yes" : "no (edge)") << " | " << s.residual << " |\n";
  }
  for (const auto& n : notes) std::cerr << "note: " << n << "\n";
  return 0;
}

}  // namespace

int cmd_fit(const Argv& argv) {
  Args args("fit", argv,
            {{"--law", true}, {"--by", true}, {"--out", true}, {"--json", false}, {"--init-grid", true},
             {"--huber-delta", true}, {"--holdout", true}, {"--bootstrap", true}, {"--fraction", true},
             {"--weights", true}, {"--threads", true}, {"--n-column", true}, {"--exclude-forecast", false}},
            kUsage);
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1);
  auto law_name = args.value("--law");
  if (!law_name) args.fail("--law is required");
  RunsTable table = read_runs_csv(args.positionals()[0]);
  if (args.flag("--exclude-forecast")) drop_forecast_rows(table);
  if (table.rows.empty()) throw UsageError(table.source + ": no runs in the table");
  if (*law_name == "lr") return fit_lr(args, table);

  const LawSpec& law = law_spec(*law_name);
  if (auto column = args.value("--n-column")) {
    // The law's N read from another column: for tiny models, whose embedding outweighs the rest.
    const int from = table.column_index(*column), to = table.column_index(law.n_column());
    if (from < 0) throw UsageError(table.source + ": --n-column: no column '" + *column + "'");
    if (to < 0) throw UsageError(table.source + ": no column '" + law.n_column() + "'");
    table.numbers(*column);  // every value finite and positive, or an error naming the row
    for (auto& row : table.rows) row[static_cast<size_t>(to)] = row[static_cast<size_t>(from)];
  }
  FitOptions options;
  options.huber_delta = args.real("--huber-delta").value_or(law.default_huber_delta());
  if (!(options.huber_delta > 0)) args.fail("--huber-delta must be positive");
  if (auto t = args.integer("--threads")) {
    if (*t < 1) args.fail("--threads must be at least 1");
    options.threads = static_cast<unsigned>(*t);
  }
  InitGrid grid(law, parse_init_grid(law, args.value("--init-grid").value_or("")));
  long long refits = args.integer("--bootstrap").value_or(0);
  double fraction = args.real("--fraction").value_or(0.8);

  std::vector<Sample> samples = samples_for(law, table, args.value("--weights").value_or(""));
  Split split = split_holdout(table, samples, args.value("--holdout").value_or(""));
  std::vector<bool> held(samples.size(), false);
  for (size_t r : split.holdout) held[r] = true;

  // Groups of rows (one without --by), in order of the grouping value.
  std::map<double, std::vector<size_t>> groups;
  std::string by = args.value("--by").value_or("");
  for (size_t r = 0; r < samples.size(); ++r) groups[by.empty() ? 0.0 : cell_number(table, r, by, false)].push_back(r);

  std::vector<FitReport> reports;
  std::vector<std::vector<double>> params;
  for (const auto& [value, rows] : groups) {
    std::vector<size_t> train_rows, held_rows;
    for (size_t r : rows) (held[r] ? held_rows : train_rows).push_back(r);
    std::vector<Sample> train = pick(samples, train_rows), holdout = pick(samples, held_rows);
    FitReport rep;
    rep.law = law.name();
    if (!by.empty()) {
      std::ostringstream g;
      g << by << "=" << value;
      rep.group = g.str();
    }
    if (train.size() <= static_cast<size_t>(law.num_params()))
      throw UsageError(table.source + ": too few runs for law " + law.name() + (rep.group.empty() ? "" : " at " + rep.group) +
                       ": " + std::to_string(train.size()) + " training runs, need at least " +
                       std::to_string(law.num_params() + 1) + " (one more than its parameters)");
    FitResult fit = fit_multistart(law, train, grid, options);
    rep.coefficients = law.coefficients(fit.params.data());
    rep.objective = fit.objective;
    rep.huber_delta = options.huber_delta;
    rep.rmse_train = rmse_ln(law, fit.params, train);
    rep.rmse_holdout = rmse_ln(law, fit.params, holdout);
    rep.n_train = train.size(), rep.n_holdout = holdout.size();
    rep.starts = fit.starts, rep.failed_starts = fit.failed;
    if (refits > 0) rep.intervals = bootstrap_intervals(law, train, fit.params, static_cast<int>(refits), fraction, options);
    reports.push_back(rep);
    params.push_back(fit.params);
  }

  std::vector<std::string> notes;
  if (auto out = args.value("--out")) {
    std::filesystem::create_directories(*out);
    for (size_t i = 0; i < reports.size(); ++i) {
      std::string stem = *out + "/coefficients" + (by.empty() ? "" : "-" + reports[i].group);
      write_text_file(stem + ".json", to_json(reports[i]).dump(1) + "\n");
      write_text_file(stem + ".toml", to_toml(reports[i]));
    }
    write_text_file(*out + "/table.md", markdown_table(reports));
    write_text_file(*out + "/table.tex", latex_table(reports));
    if (by.empty()) notes = plot_fit(*out, law, params[0], samples, held);
    else notes.push_back("plots are drawn for single fits only (no --by)");
  }
  if (args.flag("--json")) {
    if (by.empty()) {
      std::cout << to_json(reports[0]).dump(1) << "\n";
    } else {
      nlohmann::json fits = nlohmann::json::array();
      for (const auto& r : reports) fits.push_back(to_json(r));
      std::cout << nlohmann::json{{"law", law.name()}, {"by", by}, {"fits", fits}}.dump(1) << "\n";
    }
  } else {
    for (const auto& r : reports)
      std::cout << "law " << r.law << (r.group.empty() ? "" : " (" + r.group + ")") << ": " << r.n_train
                << " training runs, " << r.n_holdout << " held out, " << r.starts << " starts, objective "
                << r.objective << "\n";
    std::cout << "\n" << markdown_table(reports);
  }
  for (const auto& n : notes) std::cerr << "note: " << n << "\n";
  return 0;
}

}  // namespace moelaw::cli
