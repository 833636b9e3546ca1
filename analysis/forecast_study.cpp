#include "analysis/forecast_study.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "analysis/forecast_workflow.hpp"
#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "train/run_dir.hpp"

namespace moelaw::analysis {

namespace fs = std::filesystem;

std::optional<RunForecast> forecast_final_loss(const std::string& run_dir, unsigned threads) {
  LossCurve curve;
  try {
    curve = read_curve_run(run_dir);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const long warm = warmup_end(curve.lr);
  size_t after = 0;
  while (after < curve.steps.size() && curve.steps[after] <= warm) ++after;
  const size_t points = curve.steps.size() - after;
  if (points < 12) return std::nullopt;
  ForecastOptions o;
  o.threads = threads;
  o.refine = 2;
  auto final_of = [&](const LossCurve& c) {
    ForecastModel m = fit_forecast({c}, o);
    return std::make_pair(predict_losses(m, c, {c.last_step()})[0], forecast_error(m, c).mean_relative);
  };
  auto [full, residual] = final_of(curve);
  LossCurve early = curve;
  early.steps.resize(after + points * 2 / 3), early.losses.resize(after + points * 2 / 3);
  const double part = final_of(early).first;
  RunForecast f;
  f.final_step = curve.last_step(), f.loss = full, f.points = points, f.series = curve.series;
  f.low = std::min(full, part) * (1 - residual), f.high = std::max(full, part) * (1 + residual);
  return f;
}

std::string format_forecast(const RunForecast& f) {
  char text[128];
  std::snprintf(text, sizeof text, "forecast %.4f [%.4f, %.4f] at step %ld", f.loss, f.low, f.high, f.final_step);
  return text;
}

std::vector<ForecastModel> read_study_models(const std::vector<std::string>& paths) {
  std::vector<ForecastModel> models;
  for (const auto& p : paths) {
    models.push_back(read_forecast_model(p));
    if (!models.back().model.known)
      throw UsageError(p + ": fitted on CSV curves, so it does not say which model it is of (fit it on run directories)");
  }
  return models;
}

namespace {

// The final loss of a schedule by the model fitted on its model, if any.
std::optional<double> final_by_its_model(const std::vector<ForecastModel>& models, const LossCurve& c) {
  auto m = std::find_if(models.begin(), models.end(), [&](const ForecastModel& f) { return f.model == c.model; });
  if (m == models.end()) return std::nullopt;
  return predict_losses(*m, c, {c.last_step()})[0];
}

}  // namespace

std::optional<double> forecast_config_final(const std::vector<ForecastModel>& models, const std::string& toml,
                                            const std::string& name) {
  LossCurve c;
  c.source = name;
  c.lr = schedule_from_config_text(toml, name, &c.model);
  return final_by_its_model(models, c);
}

std::vector<nlohmann::json> forecast_planned_cooldowns(const std::vector<std::string>& roots,
                                                       const std::vector<std::string>& model_paths) {
  const std::vector<ForecastModel> models = read_study_models(model_paths);
  std::vector<nlohmann::json> rows;
  for (const auto& root : roots) {
    const fs::path plan_path = fs::path(root) / "plan.json";
    if (!fs::exists(plan_path)) continue;
    const std::string text = read_file(plan_path.string());
    nlohmann::json plan;
    try {
      plan = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw UsageError(plan_path.string() + ": not JSON (" + e.what() + ")");
    }
    for (const auto& r : plan.value("runs", nlohmann::json::array())) {
      if (r.value("role", "") != "cooldown") continue;
      const std::string name = r.value("name", "");
      const std::string dir = (fs::path(root) / "runs" / name).string();
      if (train::RunDir(dir).complete()) continue;
      const std::string config = (fs::path(root) / "configs" / (name + ".toml")).string();
      if (!fs::exists(config)) throw UsageError(config + ": missing (the planned run's configuration)");
      LossCurve c;
      c.source = config;
      c.lr = schedule_from_config(config, &c.model);
      const auto loss = final_by_its_model(models, c);
      if (!loss) continue;
      nlohmann::json row = {{"run_id", name},
                            {"n_act", c.model.n_act},
                            {"n_total", c.model.n_total},
                            {"n_act_nonembedding", c.model.n_act_nonembedding},
                            {"tokens", r.value("target_tokens", int64_t{0})},
                            {"experts", c.model.experts},
                            {"top_k", c.model.top_k},
                            {"granularity", c.model.granularity},
                            {"lr", r.value("lr", 0.0)},
                            {"seed", r.value("seed", int64_t{0})},
                            {"final_loss", *loss},
                            {"init_from", nullptr},
                            {"forecast", 1},
                            {"run_dir", dir}};
      rows.push_back(row);
    }
  }
  return rows;
}

void add_forecast_rows(CollectedRuns& runs, const std::vector<std::string>& roots, const std::vector<std::string>& models) {
  // The forecast column rides in each summary's source object, which to_row() writes out as read.
  for (auto& [dir, summary] : runs.complete) {
    if (summary.source.is_null()) summary.source = summary.to_json();
    summary.source["forecast"] = 0;
  }
  for (auto& row : forecast_planned_cooldowns(roots, models)) {
    std::string dir = row["run_dir"];
    row.erase("run_dir");
    runs.complete.emplace_back(dir, train::RunSummary::from_json(row, dir));
  }
}

void drop_forecast_rows(RunsTable& table) {
  const int col = table.column_index("forecast");
  if (col < 0) return;
  RunsTable kept = table;
  kept.rows.clear(), kept.lines.clear();
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const std::string& v = table.rows[i][col];
    if (v == "1" || v == "true") continue;
    kept.rows.push_back(table.rows[i]), kept.lines.push_back(table.lines[i]);
  }
  table = std::move(kept);
}

}  // namespace moelaw::analysis
