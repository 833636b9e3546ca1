#pragma once
// Grids for `moelaw advise`: every cooldown an experiment grid plans (each model × length, with
// its trunk, so checkpoint reuse is charged as the planner charges it) as candidates, and the
// chosen runs written back as a grid file that `moelaw plan` and `submit` take as they are.
#include <string>
#include <vector>

#include "analysis/advisor.hpp"
#include "analysis/candidates.hpp"

namespace moelaw::analysis {

// Candidates of a grid TOML (launcher::make_plan's cooldowns). Each remembers its [[models]] name.
CandidateSet read_candidates_grid(const std::string& path);

// Reads CANDIDATES as a grid when it ends in .toml, else as a CSV.
CandidateSet read_candidates(const std::string& path);

// The grid of the chosen runs: one [[models]] entry per model with the chosen lengths. From a grid
// candidates file, its other tables ([experiment], [run.*], [resources]) are kept and each model's
// keys too (only `tokens` narrowed); from a CSV, the rows need d_model and n_blocks (a UsageError
// naming --grid and the row otherwise). The experiment is named `name`.
std::string advised_grid_toml(const CandidateSet& candidates, const Selection& selection, const std::string& name);

}  // namespace moelaw::analysis
