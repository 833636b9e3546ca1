#pragma once
// What `moelaw forecast fit` and `moelaw forecast predict` do, apart from parsing and printing:
// load the curves, fit or predict, write MODEL.json and the plots.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/forecast.hpp"

namespace moelaw::analysis {

struct CurvePrediction {
  LossCurve curve;
  CurveFitError error;
  std::vector<long> steps;         // every observed step, and the schedule's last
  std::vector<double> observed;    // NaN where the step has no observed loss
  std::vector<double> predicted;
};

// Fits the curves at `paths`, writes the model to `out` (atomically; an existing file is only
// replaced once the fit succeeded) and, when `plots_dir` is not empty, one plot per curve there.
ForecastModel forecast_fit_files(const std::vector<std::string>& paths, const ForecastOptions& options,
                                 CurveLosses losses, const std::string& out, const std::string& plots_dir,
                                 std::vector<std::string>& notes);

ForecastModel read_forecast_model(const std::string& path);

// Predicts each curve from its schedule; plots as above.
std::vector<CurvePrediction> forecast_predict_files(const ForecastModel& model, const std::vector<std::string>& paths,
                                                    CurveLosses losses, const std::string& plots_dir,
                                                    std::vector<std::string>& notes);

// {"curves": [{"source", "steps", "observed", "predicted"}]} (observed null where none).
nlohmann::json predictions_json(const std::vector<CurvePrediction>& predictions);

}  // namespace moelaw::analysis
