#include "analysis/forecast_workflow.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "analysis/plots.hpp"
#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/file_io.hpp"

namespace moelaw::analysis {

namespace fs = std::filesystem;

namespace {

std::vector<LossCurve> load_curves(const std::vector<std::string>& paths, CurveLosses losses) {
  std::vector<LossCurve> curves;
  for (const auto& p : paths) curves.push_back(load_curve(p, losses));
  return curves;
}

// A file name for the plot of curve i: its index and the last part of its path.
std::string plot_name(size_t i, const std::string& source) {
  std::string base = fs::path(source).filename().string();
  if (base.empty()) base = fs::path(source).parent_path().filename().string();
  std::string name = "forecast_" + std::to_string(i + 1) + "_";
  for (char c : fs::path(base).stem().string()) name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return name;
}

void plot_curve(const ForecastModel& model, const LossCurve& c, size_t index, const std::string& dir,
                std::vector<std::string>& notes) {
  std::vector<long> steps;
  const long first = c.steps.front(), last = c.last_step();
  for (int i = 0; i <= 400; ++i) steps.push_back(first + (last - first) * i / 400);
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  auto pred = predict_losses(model, c, steps);
  auto more = plot_forecast(dir, plot_name(index, c.source), c.source + " (" + c.series + ")", c.steps, c.losses, steps, pred);
  notes.insert(notes.end(), more.begin(), more.end());
}

}  // namespace

ForecastModel forecast_fit_files(const std::vector<std::string>& paths, const ForecastOptions& options,
                                 CurveLosses losses, const std::string& out, const std::string& plots_dir,
                                 std::vector<std::string>& notes) {
  auto curves = load_curves(paths, losses);
  ForecastModel model = fit_forecast(curves, options);
  write_file_atomically(out, {forecast_model_json(model).dump(2) + "\n"});
  if (!plots_dir.empty()) {
    fs::create_directories(plots_dir);
    for (size_t i = 0; i < curves.size(); ++i) plot_curve(model, curves[i], i, plots_dir, notes);
  }
  return model;
}

ForecastModel read_forecast_model(const std::string& path) {
  const std::string text = read_file(path, "cannot open the forecast model");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": not JSON (" + e.what() + ")");
  }
  return forecast_model_from_json(j, path);
}

std::vector<CurvePrediction> forecast_predict_files(const ForecastModel& model, const std::vector<std::string>& paths,
                                                    CurveLosses losses, const std::string& plots_dir,
                                                    std::vector<std::string>& notes) {
  std::vector<CurvePrediction> out;
  if (!plots_dir.empty()) fs::create_directories(plots_dir);
  for (auto& curve : load_curves(paths, losses)) {
    CurvePrediction p;
    p.error = forecast_error(model, curve);
    p.steps = curve.steps;
    p.observed = curve.losses;
    if (p.steps.back() != curve.last_step()) p.steps.push_back(curve.last_step()), p.observed.push_back(NAN);
    p.predicted = predict_losses(model, curve, p.steps);
    if (!plots_dir.empty()) plot_curve(model, curve, out.size(), plots_dir, notes);
    p.curve = std::move(curve);
    out.push_back(std::move(p));
  }
  return out;
}

nlohmann::json predictions_json(const std::vector<CurvePrediction>& predictions) {
  nlohmann::json curves = nlohmann::json::array();
  for (const auto& p : predictions) {
    nlohmann::json observed = nlohmann::json::array();
    for (double v : p.observed) observed.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
    curves.push_back({{"source", p.curve.source},
                      {"series", p.curve.series},
                      {"steps", p.steps},
                      {"observed", observed},
                      {"predicted", p.predicted},
                      {"error", curve_error_json(p.error)}});
  }
  return {{"curves", curves}};
}

}  // namespace moelaw::analysis
