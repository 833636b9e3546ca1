#pragma once
// Candidate runs for `moelaw advise`: the runs table's columns without final_loss, one row per run
// that could be trained next. A run's FLOPs are its `flops` cell, else 6·N_act·D with what
// checkpoint reuse saves: a cooldown (init_from names its trunk) whose trunk has already been
// trained past the cooldown's branch point (1 − decay_fraction)·D pays only its own part.
#include <map>
#include <string>
#include <vector>

#include "analysis/runs_table.hpp"

namespace moelaw::analysis {

struct Candidate {
  std::string run_id;
  std::string trunk;           // init_from: the trunk it branches from; empty: an independent run
  std::string model;           // the grid's [[models]] name (or the table's `model` column)
  double lr = 0;               // the table's lr column (0: the LR law)
  double seed = -1;            // the table's seed column (-1: none)
  double n_act = 0, n_total = 0, tokens = 0, experts = 1, top_k = 1;
  double d_model = 0, n_blocks = 0;  // 0 when the table gives N_act directly
  double decay_fraction = 0.2;       // DESIGN.md's cooldown: the last 20% of the run's tokens
  double fixed_flops = 0;            // > 0: the table's own flops cell, charged as it is
  long line = 0;                     // source line, for messages
};

// Tokens each trunk has trained so far (by trunk name).
using TrunkProgress = std::map<std::string, double>;

struct CandidateSet {
  RunsTable table;                // n_act, n_total, tokens, experts, top_k filled in: the law's features
  std::vector<Candidate> runs;    // one per table row
  std::string grid_path;          // the grid TOML they were planned from, if any
};

// Reads CANDIDATES.csv. A row needs tokens and a size (n_act, or d_model and n_blocks from which
// moelaw's formulas give N_act and N_total); every bad row is a UsageError naming file, line, row.
CandidateSet read_candidates_csv(const std::string& path);
// The same checks on a table already read (the grid TOML path builds one).
CandidateSet candidates_from_table(RunsTable table);

// Where the trunks of finished runs stand: the branch point of every finished cooldown in the
// runs table (its init_from column, when it has one: a trunk's name, or the pinned checkpoint
// RUNS/TRUNK/checkpoints/pin-tokens-N.h5 that `collect` writes, whose N is the branch point).
TrunkProgress trunk_progress(const RunsTable& finished);

// What training `c` costs now, given the trunks' progress: 6·N_act·(D − min(progress, branch)).
double candidate_flops(const Candidate& c, const TrunkProgress& progress);
// Records that `c` was trained (its trunk now reaches c's branch point).
void record_trained(const Candidate& c, TrunkProgress& progress);

}  // namespace moelaw::analysis
