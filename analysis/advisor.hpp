#pragma once
// The advisor behind `moelaw advise`: which candidate runs to train next, within a FLOP budget, so
// that the interval of the compute-optimal answer at a target compute shrinks most per FLOP.
//
// The choice is greedy with a look-ahead: at each step the `lookahead` candidates with the largest
// width reduction per FLOP are each paired with the best follow-up run (whose cost already counts
// the trunk the first one trains), and the step takes the first run of the best single or pair
// (reduction of the interval width per FLOP). Because a ratio greedy can spend the budget on cheap
// runs and miss an expensive one that matters, the same greedy is also started from each of the
// `lookahead` runs that narrow the interval most on their own; beside them the rounded continuous
// relaxation (relaxed_design.hpp), which weighs every run against all the others at once. Each
// design then gets single exchanges (a chosen run for one left out, within budget) while they
// narrow it, and the narrowest is kept, its runs listed in order of length (the order the trunks
// are paid in).
// Trained runs enter as pseudo-observations at the
// law's predicted loss (target_uncertainty.hpp). Ties go to the lower candidate row, so the choice
// is the same on every machine; the seed drives only the simulated losses and the bootstrap.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/candidates.hpp"
#include "analysis/target_uncertainty.hpp"

namespace moelaw::analysis {

struct AdvisedRun {
  size_t index = 0;  // row in the candidates
  std::string run_id;
  double flops = 0;      // charged when it was chosen (trunk reuse counted)
  double interval = 0;   // predicted interval width after it
};

struct Selection {
  std::vector<AdvisedRun> runs;
  TargetInterval before, after;
  double flops = 0;
};

struct SelectOptions {
  int lookahead = 8;  // first runs paired with a follow-up per step; forced first runs tried
  bool relaxation = true;  // also the rounded continuous relaxation (relaxed_design.hpp) as a start
};

// The greedy choice over candidates whose features (law.features of each row) are given.
// `linearisation` is updated with the chosen runs. UsageError naming --budget when no candidate
// fits in it.
Selection select_runs(TargetLinearisation& linearisation, const std::vector<Candidate>& candidates,
                      const std::vector<std::array<double, 3>>& features, TrunkProgress progress, double budget,
                      const SelectOptions& options = {});

struct AdviseRequest {
  std::string law;
  Target target;
  double budget = 0;
  uint64_t seed = 1;
  SelectOptions select;
  int bootstrap = 0;  // > 0: the bootstrap interval before, as a check on the linearisation
  FitOptions fit;     // huber_delta < 0: the law's default
  // Read the law's N from this column of both tables (e.g. n_act_nonembedding for tiny models,
  // as `fit --n-column`); FLOPs stay 6·N_act·D.
  std::string n_column;
  // --simulate: the known law's log-form parameters; the chosen runs' losses are drawn from it
  // with log-normal noise of this standard deviation, and the law is refitted on them.
  std::optional<std::vector<double>> truth;
  double noise = 0.005;
};

struct Simulation {
  double truth = 0;                 // the known law's answer at the target
  double predicted_before = 0, predicted_after = 0;
  TargetInterval refit_interval;    // linearised interval of the refit
  std::vector<double> losses;       // drawn for the chosen runs, in order
};

struct AdviseResult {
  std::string law;
  Target target;
  double budget = 0;
  std::vector<double> params;      // the fit to the finished runs
  size_t finished_runs = 0;
  size_t already_trained = 0;      // candidates left out: their run_id is in the runs table
  double noise_sd = 0;             // residual σ of ln L of that fit
  Selection selection;
  std::optional<TargetInterval> bootstrap_before;
  std::optional<Simulation> simulation;
};

// Fits the law to the finished runs (multi-start, as `fit`), then selects. Bad input (a law that
// cannot be fitted or has no optimum, a budget below the cheapest candidate) is a UsageError
// naming the option or row.
AdviseResult advise(const RunsTable& finished, const CandidateSet& candidates, const AdviseRequest& request);

// The fit of the law to samples (multi-start, the law's grid), UsageError when it cannot be.
std::vector<double> fit_for_advice(const LawSpec& law, const std::vector<Sample>& samples, const FitOptions& options,
                                   const std::string& source);

nlohmann::json advise_json(const AdviseResult& r);
std::string advise_text(const AdviseResult& r);

}  // namespace moelaw::analysis
