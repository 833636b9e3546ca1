#include "analysis/candidates.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

#include "common/errors.hpp"
#include "common/number_text.hpp"
#include "model/param_count.hpp"

namespace moelaw::analysis {

namespace {

constexpr long kVocab = 50257;

bool has_cell(const RunsTable& t, size_t row, const std::string& column) {
  int c = t.column_index(column);
  return c >= 0 && static_cast<size_t>(c) < t.rows[row].size() && !t.rows[row][c].empty();
}

std::string cell(const RunsTable& t, size_t row, const std::string& column) {
  return has_cell(t, row, column) ? t.rows[row][t.column_index(column)] : "";
}

void set_cell(RunsTable& t, size_t row, const std::string& column, double value) {
  int c = t.column_index(column);
  if (c < 0) {
    t.columns.push_back(column);
    for (auto& r : t.rows) r.resize(t.columns.size());
    c = static_cast<int>(t.columns.size()) - 1;
  }
  t.rows[row].resize(t.columns.size());
  t.rows[row][c] = exact_text(value);
}

}  // namespace

CandidateSet candidates_from_table(RunsTable t) {
  CandidateSet set;
  if (t.rows.empty()) throw UsageError(t.source + ": no candidate runs in the table");
  for (size_t r = 0; r < t.rows.size(); ++r) {
    Candidate c;
    c.line = t.lines[r];
    c.run_id = has_cell(t, r, "run_id") ? cell(t, r, "run_id") : "row" + std::to_string(r + 1);
    const std::string where =
        located(t.source, c.line, "candidate row " + std::to_string(r + 1) + " (run_id " + c.run_id + "): ");
    if (!has_cell(t, r, "tokens")) throw UsageError(where + "no tokens: its length D is needed for the law and its FLOPs");
    c.tokens = t.number(r, "tokens");
    c.experts = has_cell(t, r, "experts") ? t.number(r, "experts") : 1;
    c.top_k = has_cell(t, r, "top_k") ? t.number(r, "top_k") : 1;
    if (has_cell(t, r, "n_act")) {
      c.n_act = t.number(r, "n_act");
      c.n_total = has_cell(t, r, "n_total") ? t.number(r, "n_total") : c.n_act;
    } else if (has_cell(t, r, "d_model") && has_cell(t, r, "n_blocks")) {
      c.d_model = t.number(r, "d_model");
      c.n_blocks = t.number(r, "n_blocks");
      auto counts = model::count_parameters({std::llround(c.d_model), std::llround(c.n_blocks), kVocab,
                                             std::llround(c.experts), std::llround(c.top_k), 1});
      c.n_act = static_cast<double>(counts.n_act);
      c.n_total = static_cast<double>(counts.n_total);
    } else {
      throw UsageError(where + "no size: give n_act, or d_model and n_blocks (moelaw's formulas then give N_act)");
    }
    if (has_cell(t, r, "d_model")) c.d_model = t.number(r, "d_model");
    if (has_cell(t, r, "n_blocks")) c.n_blocks = t.number(r, "n_blocks");
    if (has_cell(t, r, "flops")) c.fixed_flops = t.number(r, "flops");
    if (has_cell(t, r, "decay_fraction")) {
      c.decay_fraction = t.number(r, "decay_fraction", false);
      if (c.decay_fraction < 0 || c.decay_fraction > 1)
        throw UsageError(where + "decay_fraction must be in [0, 1], got " + cell(t, r, "decay_fraction"));
    }
    c.trunk = cell(t, r, "init_from");
    c.model = cell(t, r, "model");
    if (has_cell(t, r, "lr")) c.lr = t.number(r, "lr");
    if (has_cell(t, r, "seed")) c.seed = t.number(r, "seed", false);
    set_cell(t, r, "n_act", c.n_act);
    set_cell(t, r, "n_total", c.n_total);
    set_cell(t, r, "experts", c.experts);
    set_cell(t, r, "top_k", c.top_k);
    set.runs.push_back(c);
  }
  set.table = std::move(t);
  return set;
}

CandidateSet read_candidates_csv(const std::string& path) { return candidates_from_table(read_runs_csv(path)); }

TrunkProgress trunk_progress(const RunsTable& finished) {
  TrunkProgress p;
  static const std::regex pinned(R"((?:^|.*/)([^/]+)/checkpoints/pin-tokens-0*([0-9]+)\.h5$)");
  for (size_t r = 0; r < finished.rows.size(); ++r) {
    std::string trunk = cell(finished, r, "init_from");
    if (trunk.empty() || !has_cell(finished, r, "tokens")) continue;
    double decay = has_cell(finished, r, "decay_fraction") ? finished.number(r, "decay_fraction", false) : 0.2;
    double branch = (1 - decay) * finished.number(r, "tokens");
    // `collect` writes the pinned checkpoint a cooldown started from (RUNS/TRUNK/checkpoints/
    // pin-tokens-N.h5): the trunk is its run directory and N the branch point, exactly.
    std::smatch m;
    if (std::regex_match(trunk, m, pinned)) trunk = m[1], branch = std::stod(m[2]);
    p[trunk] = std::max(p[trunk], branch);
  }
  return p;
}

double candidate_flops(const Candidate& c, const TrunkProgress& progress) {
  if (c.fixed_flops > 0) return c.fixed_flops;
  double done = 0;
  if (!c.trunk.empty())
    if (auto it = progress.find(c.trunk); it != progress.end()) done = std::min(it->second, (1 - c.decay_fraction) * c.tokens);
  return 6 * c.n_act * (c.tokens - done);
}

void record_trained(const Candidate& c, TrunkProgress& progress) {
  if (c.trunk.empty()) return;
  double& p = progress[c.trunk];
  p = std::max(p, (1 - c.decay_fraction) * c.tokens);
}

}  // namespace moelaw::analysis
