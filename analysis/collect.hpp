#pragma once
// `moelaw collect`'s workflow: the runs table of every finished run under some directories.
// A run directory is one with summary.json (written at completion) or with a config.toml or
// metrics.h5 (started); the ones that are not complete, and constant-LR trunks, are listed with
// the reason so the command can say why each was left out.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/run_summary.hpp"

namespace moelaw::analysis {

struct CollectedRuns {
  std::vector<std::pair<std::string, train::RunSummary>> complete;  // run directory, its summary
  std::vector<std::string> not_collected;                        // "DIR: why", sorted by directory
};

// Scans `roots` recursively; a root that is not a directory is a UsageError.
CollectedRuns collect_runs(const std::vector<std::string>& roots);

// The columns every fit may read, in this order; then every other summary key, sorted; then run_dir.
std::vector<std::string> runs_table_columns(const CollectedRuns& runs);
// The runs table as CSV: the header, then one row per complete run (numbers as the shortest text
// that reads back to the same double; cells with , " or a newline quoted).
std::string runs_table_csv(const CollectedRuns& runs);
// Writes runs_table_csv atomically; a path that is a directory or in none is a UsageError.
void write_runs_table(const std::string& path, const CollectedRuns& runs);

}  // namespace moelaw::analysis
