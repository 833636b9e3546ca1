#include "analysis/collect.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "train/run_dir.hpp"
#include "train/run_summary.hpp"

namespace moelaw::analysis {

namespace {

namespace fs = std::filesystem;

std::string csv_cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  // Numbers as nlohmann writes them: the shortest text that reads back to the same double.
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Directories that hold run traces, under and including each root.
std::set<std::string> candidate_dirs(const std::vector<std::string>& roots) {
  std::set<std::string> dirs;
  for (const auto& root : roots) {
    if (!fs::is_directory(root)) throw UsageError(root + ": not a directory");
    if (fs::exists(fs::path(root) / "summary.json") || fs::exists(fs::path(root) / "metrics.h5")) dirs.insert(root);
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      auto name = e.path().filename();
      if ((e.is_regular_file() && (name == "summary.json" || name == "metrics.h5" || name == "config.toml")) ||
          (e.is_directory() && name == "checkpoints"))
        dirs.insert(e.path().parent_path().string());
    }
  }
  return dirs;
}

}  // namespace

CollectedRuns collect_runs(const std::vector<std::string>& roots) {
  CollectedRuns out;
  for (const auto& d : candidate_dirs(roots)) {
    train::RunDir run(d);
    if (!fs::exists(run.summary_path())) {
      // A config.toml alone may be an experiment definition, not a run: require run traces.
      if (fs::exists(run.metrics_path()) || fs::exists(run.checkpoint_dir()))
        out.not_collected.push_back(d + ": no summary.json (not finished)");
      continue;
    }
    std::optional<train::RunSummary> s;
    try {
      s = run.summary();
    } catch (const std::exception& e) {
      // Named and skipped: one torn file must not stop the collection of the others.
      out.not_collected.push_back(d + ": unreadable summary.json (" + e.what() + "), skipped");
      continue;
    }
    if (!s || !s->complete) {
      out.not_collected.push_back(d + ": summary.json does not say complete");
      continue;
    }
    if (s->constant_lr_trunk()) {
      // A grid's trunk: its loss is that of a run whose LR never decayed, not a data point.
      out.not_collected.push_back(d + ": constant-LR trunk (train.decay_fraction = 0), not a finished schedule");
      continue;
    }
    out.complete.emplace_back(d, *s);
  }
  return out;
}

std::vector<std::string> runs_table_columns(const CollectedRuns& runs) {
  const auto& leading = train::RunSummary::leading_columns();
  std::vector<std::string> columns = leading;
  std::set<std::string> extra;
  for (const auto& [d, s] : runs.complete) {
    const nlohmann::json row = s.to_row();  // held: items() refers to it
    for (auto& [k, v] : row.items())
      if (std::find(leading.begin(), leading.end(), k) == leading.end()) extra.insert(k);
  }
  columns.insert(columns.end(), extra.begin(), extra.end());
  columns.push_back("run_dir");
  return columns;
}

std::string runs_table_csv(const CollectedRuns& runs) {
  const auto columns = runs_table_columns(runs);
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i];
  out += "\n";
  for (const auto& [d, s] : runs.complete) {
    const nlohmann::json row = s.to_row();
    for (size_t i = 0; i < columns.size(); ++i) {
      nlohmann::json v = i + 1 == columns.size() ? nlohmann::json(d) : row.value(columns[i], nlohmann::json(nullptr));
      out += (i ? "," : "") + csv_cell(v);
    }
    out += "\n";
  }
  return out;
}

void write_runs_table(const std::string& path, const CollectedRuns& runs) {
  const fs::path parent = fs::absolute(path).parent_path();
  if (fs::is_directory(path) || !fs::is_directory(parent)) throw UsageError(path + ": cannot write");
  write_file_atomically(path, {runs_table_csv(runs)});
}

}  // namespace moelaw::analysis
