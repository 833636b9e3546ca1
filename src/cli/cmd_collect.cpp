// `moelaw collect EXP_DIR... --out runs.csv`: the runs table of every finished run under the
// experiment directories. A run directory is one with summary.json (written at completion) or with
// a config.toml or metrics.h5 (started); the ones not complete are listed on stderr.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "train/run_dir.hpp"
#include "train/run_summary.hpp"

namespace moelaw::cli {

namespace {

namespace fs = std::filesystem;

std::string csv_cell(const nlohmann::json& v) {
  std::string s;
  if (v.is_null()) return "";
  // Numbers as nlohmann writes them: the shortest text that reads back to the same double.
  s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

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

  std::vector<nlohmann::json> rows;  // complete runs' summaries as rows, with their run_dir
  std::vector<std::string> incomplete;
  std::set<std::string> dirs;
  for (const auto& root : args.positionals()) {
    if (!fs::is_directory(root)) throw UsageError(root + ": not a directory");
    if (fs::exists(fs::path(root) / "summary.json") || fs::exists(fs::path(root) / "metrics.h5")) dirs.insert(root);
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      auto name = e.path().filename();
      if ((e.is_regular_file() && (name == "summary.json" || name == "metrics.h5" || name == "config.toml")) ||
          (e.is_directory() && name == "checkpoints"))
        dirs.insert(e.path().parent_path().string());
    }
  }
  for (const auto& d : dirs) {
    train::RunDir run(d);
    if (!fs::exists(run.summary_path())) {
      // A config.toml alone may be an experiment definition, not a run: require run traces.
      if (fs::exists(run.metrics_path()) || fs::exists(run.checkpoint_dir())) incomplete.push_back(d + ": no summary.json (not finished)");
      continue;
    }
    std::optional<train::RunSummary> s;
    try {
      s = run.summary();
    } catch (const std::exception& e) {
      incomplete.push_back(d + ": unreadable summary.json (" + e.what() + ")");
      continue;
    }
    if (!s || !s->complete) {
      incomplete.push_back(d + ": summary.json does not say complete");
      continue;
    }
    if (s->constant_lr_trunk()) {
      // A grid's trunk: its loss is that of a run whose LR never decayed, not a data point.
      incomplete.push_back(d + ": constant-LR trunk (train.decay_fraction = 0), not a finished schedule");
      continue;
    }
    rows.push_back(s->to_row());
    rows.back()["run_dir"] = d;
  }

  // The leading columns first; then every other key of the summaries but "complete", sorted.
  const auto& leading = train::RunSummary::leading_columns();
  std::vector<std::string> columns = leading;
  std::set<std::string> extra;
  for (const auto& row : rows)
    for (auto& [k, v] : row.items())
      if (k != "run_dir" && std::find(leading.begin(), leading.end(), k) == leading.end()) extra.insert(k);
  columns.insert(columns.end(), extra.begin(), extra.end());
  columns.push_back("run_dir");

  std::ofstream out(*out_path);
  if (!out) throw UsageError(*out_path + ": cannot write");
  for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
  out << "\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << csv_cell(row.value(columns[i], nlohmann::json(nullptr)));
    out << "\n";
  }
  if (!out.flush()) throw std::runtime_error(*out_path + ": write failed");
  for (const auto& i : incomplete) std::cerr << "not collected: " << i << "\n";
  std::cerr << "collected " << rows.size() << " complete runs into " << *out_path << "; " << incomplete.size()
            << " not collected (listed above)\n";
  return 0;
}

}  // namespace moelaw::cli
