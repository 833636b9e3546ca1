// `moelaw collect EXP_DIR... --out runs.csv`: the runs table of every finished run under the
// experiment directories. A run directory is one with summary.json (written at completion) or with
// a config.toml or metrics.h5 (started); the ones not complete are listed on stderr.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/forecast_study.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "train/run_dir.hpp"

namespace moelaw::cli {

namespace {

namespace fs = std::filesystem;

// The columns every fit may read, in this order; other summary keys follow, sorted.
const std::vector<std::string> kColumns = {"run_id", "n_act", "n_total", "n_act_nonembedding", "tokens", "experts",
                                           "top_k", "granularity", "lr", "seed", "final_loss", "init_from",
                                           "forecast"};

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
  Args args("collect", argv, {{"--out", true}, {"--forecast", true, true}},
            "moelaw collect EXP_DIR... --out runs.csv [--forecast MODEL.json]...\n\n"
            "Scans the directories recursively for run directories and writes one CSV row per complete\n"
            "run (summary.json with \"complete\": true): run_id, n_act, n_total, n_act_nonembedding,\n"
            "tokens, experts, top_k, granularity, lr, seed, final_loss, init_from, then every other\n"
            "summary key, then run_dir. Incomplete and unreadable runs, and constant-LR trunks, are\n"
            "listed on stderr. --forecast MODEL.json (from `moelaw forecast fit` on run directories of one\n"
            "model; repeatable): planned cooldowns of that model not trained get a row with their forecast\n"
            "final loss and forecast = 1 (0 on trained runs).\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1000000);
  auto out_path = args.value("--out");
  if (!out_path) args.fail("--out is required");

  std::vector<std::pair<std::string, nlohmann::json>> complete;
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
    nlohmann::json s;
    try {
      std::ifstream in(run.summary_path());
      s = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      incomplete.push_back(d + ": unreadable summary.json (" + e.what() + ")");
      continue;
    }
    if (!s.is_object() || !s.value("complete", false)) {
      incomplete.push_back(d + ": summary.json does not say complete");
      continue;
    }
    if (s.contains("decay_fraction") && s["decay_fraction"].is_number() && s["decay_fraction"].get<double>() == 0) {
      // A grid's trunk: its loss is that of a run whose LR never decayed, not a data point.
      incomplete.push_back(d + ": constant-LR trunk (train.decay_fraction = 0), not a finished schedule");
      continue;
    }
    s["forecast"] = 0;
    complete.emplace_back(d, s);
  }
  for (auto& row : analysis::forecast_planned_cooldowns(args.positionals(), args.values("--forecast")))
    complete.emplace_back(row["run_dir"].get<std::string>(), row), complete.back().second.erase("run_dir");

  std::vector<std::string> columns = kColumns;
  std::set<std::string> extra;
  for (const auto& [d, s] : complete)
    for (auto& [k, v] : s.items())
      if (k != "complete" && std::find(kColumns.begin(), kColumns.end(), k) == kColumns.end()) extra.insert(k);
  columns.insert(columns.end(), extra.begin(), extra.end());
  columns.push_back("run_dir");

  std::ofstream out(*out_path);
  if (!out) throw UsageError(*out_path + ": cannot write");
  for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
  out << "\n";
  for (const auto& [d, s] : complete) {
    for (size_t i = 0; i < columns.size(); ++i) {
      nlohmann::json v = columns[i] == "run_dir" ? nlohmann::json(d) : s.value(columns[i], nlohmann::json(nullptr));
      out << (i ? "," : "") << csv_cell(v);
    }
    out << "\n";
  }
  if (!out.flush()) throw std::runtime_error(*out_path + ": write failed");
  for (const auto& i : incomplete) std::cerr << "not collected: " << i << "\n";
  std::cerr << "collected " << complete.size() << " complete runs into " << *out_path << "; " << incomplete.size()
            << " not collected (listed above)\n";
  return 0;
}

}  // namespace moelaw::cli
