#pragma once
// The fitting workflow behind `moelaw fit --law L` for the multi-start laws: samples from the runs
// table, the held-out split, one fit per `--by` group (with bootstrap intervals), and what is
// written or printed from the result. The command only parses its options into a FitRequest.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/fit.hpp"
#include "analysis/report.hpp"

namespace moelaw::analysis {

struct FitRequest {
  std::string law;
  std::string by;          // one fit per value of this column; empty: one fit
  std::string init_grid;   // --init-grid overrides
  std::string holdout;     // --holdout spec
  std::string weights;     // column of per-run weights; empty: 1
  std::string n_column;    // read the law's N from this column; empty: the law's own
  FitOptions options;      // huber_delta < 0: the law's default
  int bootstrap = 0;
  double fraction = 0.8;
};

struct FitOutcome {
  const LawSpec* law = nullptr;
  std::string by;
  std::vector<FitReport> reports;           // one per group, in order of the grouping value
  std::vector<std::vector<double>> params;  // log-form parameters of each report
  std::vector<Sample> samples;              // every row of the table
  std::vector<bool> held;                   // held out, per sample
};

// The table is taken by value: --n-column rewrites the law's N column in it. Errors naming the
// file, row and column (UsageError) for bad input.
FitOutcome run_fit(RunsTable table, const FitRequest& request);

// coefficients[-GROUP].{json,toml}, table.{md,tex} and, for a single fit, the plots; returns
// notes for the user.
std::vector<std::string> write_fit_files(const std::string& dir, const FitOutcome& outcome);
// What `fit --json` prints: the report, or {law, by, fits} with --by.
nlohmann::json fit_outcome_json(const FitOutcome& outcome);
// What `fit` prints without --json: a line per fit, then the Markdown table.
std::string fit_outcome_text(const FitOutcome& outcome);

}  // namespace moelaw::analysis
