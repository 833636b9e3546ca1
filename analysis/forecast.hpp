#pragma once
// Forecasting loss curves from their LR schedules: fit a schedule law (analysis/schedule_law.hpp)
// to one or more curves of one model, then predict any schedule's curve from the schedule alone.
//
// The fit minimises Σ Huber_δ(ln L − ln L̂) over the observed points after the warm-up, each curve
// subsampled evenly to at most `max_points` (a 24,000-step curve logged every step costs no more
// than one logged every 128). LRs are divided by the largest LR of the fitted curves while fitting,
// so that the starting grid does not depend on their units; coefficients are stored in the curves'
// own units (the multi-power ones compare with Luo et al.'s). Starting points: a grid over the
// law's exponents with L0 and the amplitudes set by linear least squares at each point; L-BFGS
// (Ceres) from the best few.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/loss_curve.hpp"
#include "analysis/schedule_law.hpp"

namespace moelaw::analysis {

struct ForecastOptions {
  ScheduleLawForm form = ScheduleLawForm::multi_power;
  double huber_delta = 1e-3;
  size_t max_points = 256;  // per curve
  size_t refine = 4;        // L-BFGS runs, from the best grid points
  unsigned threads = 0;     // 0: all cores
};

struct CurveFitError {
  std::string source, series;
  size_t points = 0;                  // observed points after the warm-up
  double mean_relative = 0;           // mean of |L̂ − L| / L
  double max_relative = 0;            // the worst point
  long final_step = 0;                // the curve's last observed step
  double final_observed = 0, final_predicted = 0;
};

struct ForecastModel {
  ScheduleLawForm form = ScheduleLawForm::multi_power;
  std::vector<double> params;        // the law's fitted form, LRs in the curves' units
  double huber_delta = 1e-3, objective = 0;
  size_t starts = 0;
  std::vector<CurveFitError> fit;    // one per fitted curve
  CurveModel model;                  // known when fitted on run directories (all of one model)
};

ForecastModel fit_forecast(const std::vector<LossCurve>& curves, const ForecastOptions& options = {});

// L̂ at each of `steps` (steps of the curve's schedule; its losses are not used).
std::vector<double> predict_losses(const ForecastModel& model, const LossCurve& curve, const std::vector<long>& steps);
// The errors over the curve's observed points after its warm-up.
CurveFitError forecast_error(const ForecastModel& model, const LossCurve& curve);

// Luo et al.'s two figures over several curves: the mean of the per-curve mean relative errors
// and the mean of the per-curve worst errors.
struct ForecastScore {
  double mean_relative = 0, mean_worst = 0;
};
ForecastScore score_forecasts(const std::vector<CurveFitError>& errors);

// MODEL.json: {"law", "coefficients": {name: value}, "fitted_form": [...], "huber_delta",
// "objective", "starts", "fit": [{source, series, points, mean_relative_error, ...}],
// "model": {n_act, n_total, n_act_nonembedding, experts, top_k, granularity} or null}.
nlohmann::json forecast_model_json(const ForecastModel& model);
ForecastModel forecast_model_from_json(const nlohmann::json& j, const std::string& path);
nlohmann::json curve_error_json(const CurveFitError& e);

// The law's coefficients by their natural names (A, not ln A), for printing.
std::vector<std::pair<std::string, double>> natural_coefficients(const ForecastModel& model);

}  // namespace moelaw::analysis
