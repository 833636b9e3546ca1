#pragma once
// Forecasts inside a study: the final loss of a running or preempted run from its partial curve
// (`moelaw status`), forecast final losses of planned cooldowns that were not trained
// (`moelaw collect --forecast MODEL.json`, rows marked forecast = 1 in runs.csv), and leaving
// those rows out again (`moelaw fit --exclude-forecast`).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/collect.hpp"
#include "analysis/forecast.hpp"
#include "analysis/runs_table.hpp"

namespace moelaw::analysis {

struct RunForecast {
  long final_step = 0;
  double loss = 0, low = 0, high = 0;  // forecast final loss and its interval
  size_t points = 0;
  std::string series;
};

// The multi-power law fitted to the run's curve so far (its trunk's included) and evaluated at
// the last step its configuration plans. The interval spans the forecasts of fits to all the
// points and to the first two thirds of them, widened by the full fit's mean relative residual:
// a heuristic band that widens while the curve is short. nullopt when the run has fewer than 12
// points after its warm-up or its curve cannot be read (a run being written, say).
std::optional<RunForecast> forecast_final_loss(const std::string& run_dir, unsigned threads = 1);

// "forecast 3.412 [3.398, 3.431] at step N".
std::string format_forecast(const RunForecast& f);

// MODEL.json files for the study: each must say which model it was fitted on (run directories).
std::vector<ForecastModel> read_study_models(const std::vector<std::string>& paths);
// The final loss of the run a resolved configuration describes, by the model among `models` of
// its model (nullopt when none is): `moelaw plan --forecast`.
std::optional<double> forecast_config_final(const std::vector<ForecastModel>& models, const std::string& toml,
                                            const std::string& name);

// Rows for runs.csv: every cooldown planned in an experiment directory among `roots` (one with
// plan.json) that is not complete, whose model is one a MODEL.json in `models` was fitted on;
// its final loss forecast from its schedule (configs/RUN.toml). Keys: the runs-table columns
// (run_id, n_act, n_total, n_act_nonembedding, tokens, experts, top_k, granularity, lr, seed,
// final_loss, init_from, decay_fraction), forecast = 1, run_dir.
std::vector<nlohmann::json> forecast_planned_cooldowns(const std::vector<std::string>& roots,
                                                       const std::vector<std::string>& models);

// forecast = 0 on every collected run, then the rows above appended (forecast = 1).
void add_forecast_rows(CollectedRuns& runs, const std::vector<std::string>& roots, const std::vector<std::string>& models);

// Drops the rows whose "forecast" column is 1 (none when the table has no such column).
void drop_forecast_rows(RunsTable& table);

}  // namespace moelaw::analysis
