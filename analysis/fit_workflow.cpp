#include "analysis/fit_workflow.hpp"

#include <filesystem>
#include <map>
#include <sstream>

#include "analysis/bootstrap.hpp"
#include "analysis/holdout.hpp"
#include "analysis/plots.hpp"
#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/output_dir.hpp"

namespace moelaw::analysis {

namespace {

// The law's N read from another column: for tiny models, whose embedding outweighs the rest.
void use_n_column(RunsTable& table, const LawSpec& law, const std::string& column) {
  const int from = table.column_index(column), to = table.column_index(law.n_column());
  if (from < 0) throw UsageError(table.source + ": --n-column: no column '" + column + "'");
  if (to < 0) throw UsageError(table.source + ": no column '" + law.n_column() + "'");
  table.numbers(column);  // every value finite and positive, or an error naming the row
  for (auto& row : table.rows) row[static_cast<size_t>(to)] = row[static_cast<size_t>(from)];
}

}  // namespace

FitOutcome run_fit(RunsTable table, const FitRequest& request) {
  FitOutcome out;
  const LawSpec& law = law_spec(request.law);
  out.law = &law;
  out.by = request.by;
  if (!request.n_column.empty()) use_n_column(table, law, request.n_column);
  FitOptions options = request.options;
  if (options.huber_delta < 0) options.huber_delta = law.default_huber_delta();
  InitGrid grid(law, parse_init_grid(law, request.init_grid));

  out.samples = samples_for(law, table, request.weights);
  Split split = split_holdout(table, out.samples, request.holdout);
  out.held.assign(out.samples.size(), false);
  for (size_t r : split.holdout) out.held[r] = true;

  // Groups of rows (one without --by), in order of the grouping value.
  std::map<double, std::vector<size_t>> groups;
  for (size_t r = 0; r < out.samples.size(); ++r)
    groups[request.by.empty() ? 0.0 : cell_number(table, r, request.by, false)].push_back(r);

  for (const auto& [value, rows] : groups) {
    std::vector<size_t> train_rows, held_rows;
    for (size_t r : rows) (out.held[r] ? held_rows : train_rows).push_back(r);
    std::vector<Sample> train = pick(out.samples, train_rows), holdout = pick(out.samples, held_rows);
    FitReport rep;
    rep.law = law.name();
    if (!request.by.empty()) {
      std::ostringstream g;
      g << request.by << "=" << value;
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
    rep.starts = fit.starts, rep.failed_starts = fit.failed, rep.solved_starts = fit.solved;
    if (request.bootstrap > 0)
      rep.intervals = bootstrap_intervals(law, train, fit.params, request.bootstrap, request.fraction, options);
    out.reports.push_back(rep);
    out.params.push_back(fit.params);
  }
  return out;
}

std::vector<std::string> write_fit_files(const std::string& dir, const FitOutcome& o) {
  create_output_directory(dir, "--out directory");
  for (const FitReport& r : o.reports) {
    std::string stem = dir + "/coefficients" + (o.by.empty() ? "" : "-" + r.group);
    write_file_atomically(stem + ".json", {to_json(r).dump(1) + "\n"});
    write_file_atomically(stem + ".toml", {to_toml(r)});
  }
  write_file_atomically(dir + "/table.md", {markdown_table(o.reports)});
  write_file_atomically(dir + "/table.tex", {latex_table(o.reports)});
  if (o.by.empty()) return plot_fit(dir, *o.law, o.params[0], o.samples, o.held);
  return {"plots are drawn for single fits only (no --by)"};
}

nlohmann::json fit_outcome_json(const FitOutcome& o) {
  if (o.by.empty()) return to_json(o.reports[0]);
  nlohmann::json fits = nlohmann::json::array();
  for (const auto& r : o.reports) fits.push_back(to_json(r));
  return {{"law", o.law->name()}, {"by", o.by}, {"fits", fits}};
}

std::string fit_outcome_text(const FitOutcome& o) {
  std::ostringstream s;
  for (const auto& r : o.reports)
    s << "law " << r.law << (r.group.empty() ? "" : " (" + r.group + ")") << ": " << r.n_train << " training runs, "
      << r.n_holdout << " held out, " << r.starts << " starts, objective " << r.objective << "\n";
  s << "\n" << markdown_table(o.reports);
  return s.str();
}

}  // namespace moelaw::analysis
