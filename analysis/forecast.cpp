#include "analysis/forecast.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <Eigen/Dense>
#include <ceres/first_order_function.h>
#include <ceres/loss_function.h>

#include "analysis/fit.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

struct FitCurve {
  std::unique_ptr<PreparedSchedule> schedule;
  std::vector<double> loss;
};

// Indices of the observed points after the warm-up, at most `max_points`, evenly spread and
// always keeping the last.
std::vector<size_t> fit_points(const LossCurve& c, size_t max_points) {
  const long warm = warmup_end(c.lr);
  std::vector<size_t> all;
  for (size_t i = 0; i < c.steps.size(); ++i)
    if (c.steps[i] > warm) all.push_back(i);
  if (all.size() <= max_points || max_points < 2) return all;
  std::vector<size_t> out;
  for (size_t j = 0; j < max_points; ++j) out.push_back(all[j * (all.size() - 1) / (max_points - 1)]);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Σ ½·ρ_δ((ln L − ln L̂)²) over every curve's points (Ceres's Huber ρ is twice the textbook one).
// One instance per thread: its scratch buffers are reused across evaluations.
class CurvesObjective final : public ceres::FirstOrderFunction {
 public:
  CurvesObjective(const std::vector<FitCurve>& curves, int params, double delta)
      : curves_(curves), k_(params), huber_(delta) {}

  bool Evaluate(const double* p, double* cost, double* gradient) const override {
    double total = 0;
    std::vector<double>& g = g_;
    g.assign(k_, 0.0);
    for (const FitCurve& c : curves_) {
      std::vector<double>& pred = pred_;
      std::vector<double>& jac = jac_;
      pred.resize(c.loss.size()), jac.resize(gradient ? c.loss.size() * k_ : 0);
      c.schedule->predict(p, pred.data(), gradient ? jac.data() : nullptr);
      for (size_t i = 0; i < pred.size(); ++i) {
        if (!(pred[i] > 0)) return false;
        double r = std::log(c.loss[i]) - std::log(pred[i]), rho[3];
        huber_.Evaluate(r * r, rho);
        total += 0.5 * rho[0];
        if (gradient)
          for (int k = 0; k < k_; ++k) g[k] -= rho[1] * r / pred[i] * jac[i * k_ + k];
      }
    }
    *cost = total;
    if (gradient) {
      for (int k = 0; k < k_; ++k) {
        if (!std::isfinite(g[k])) return false;
        gradient[k] = g[k];
      }
    }
    return std::isfinite(total);
  }
  int NumParameters() const override { return k_; }

 private:
  const std::vector<FitCurve>& curves_;
  int k_;
  ceres::HuberLoss huber_;
  mutable std::vector<double> pred_, jac_, g_;
};

// The exponents' grid (LRs divided by their peak); the linear coefficients are solved per point.
std::vector<std::vector<double>> exponent_grid(ScheduleLawForm form) {
  if (form == ScheduleLawForm::multi_power)  // L0, ln A, α, ln B, ln C, β, γ
    return {{0}, {0}, {0.2, 0.4, 0.6, 0.9}, {0}, {-4, -2, 0, 2}, {0.3, 0.6, 1.0}, {0.3, 0.6, 0.9}};
  return {{0}, {0}, {0.2, 0.4, 0.6, 0.9}, {0}, {2.3, 4.6, 6.9, 9.2}};  // L0, ln A, α, ln C, h (λ 0.9 … 0.9999)
}

// At fixed exponents L̂ = L0 + A·f1 + B·f2 with f1, f2 the Jacobian's columns at A = B = 1:
// least squares on L gives the start's L0, A and B (amplitudes kept positive).
void solve_linear(const std::vector<FitCurve>& curves, std::vector<double>& p) {
  const int K = static_cast<int>(p.size());
  Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
  Eigen::Vector3d v = Eigen::Vector3d::Zero();
  std::vector<std::array<double, 4>> rows;
  for (const FitCurve& c : curves) {
    std::vector<double> pred(c.loss.size()), jac(c.loss.size() * K);
    c.schedule->predict(p.data(), pred.data(), jac.data());
    for (size_t i = 0; i < pred.size(); ++i) {
      Eigen::Vector3d x(1, jac[i * K + 1], jac[i * K + 3]);  // f2 = −(the loss-drop term at B = 1)
      m += x * x.transpose(), v += x * c.loss[i];
      rows.push_back({x[1], x[2], c.loss[i], 0});
    }
  }
  Eigen::Vector3d s = m.ldlt().solve(v);
  double A = std::max(s[1], 1e-6), B = std::max(s[2], 1e-6);
  double L0 = 0;
  for (const auto& r : rows) L0 += r[2] - A * r[0] - B * r[1];
  L0 /= std::max<size_t>(rows.size(), 1);
  p[0] = L0, p[1] = std::log(A), p[3] = std::log(B);
}

}  // namespace

ForecastModel fit_forecast(const std::vector<LossCurve>& curves, const ForecastOptions& o) {
  if (curves.empty()) throw UsageError("forecast fit: no curves");
  const auto& law = schedule_law(o.form);
  const int K = static_cast<int>(law.params.size());
  double peak = 0;
  for (const auto& c : curves) peak = std::max(peak, *std::max_element(c.lr.begin(), c.lr.end()));
  if (!(peak > 0)) throw UsageError(curves[0].source + ": the learning rate is 0 at every step");

  for (const auto& c : curves)
    if (!(c.model == curves[0].model))
      throw UsageError("forecast fit: " + curves[0].source + " and " + c.source +
                       " are curves of different models (a law is fitted per model)");
  std::vector<FitCurve> fit;
  size_t points = 0;
  for (const auto& c : curves) {
    std::vector<double> lr(c.lr.size());
    for (size_t s = 0; s < lr.size(); ++s) lr[s] = c.lr[s] / peak;
    FitCurve f;
    std::vector<long> steps;
    for (size_t i : fit_points(c, o.max_points)) steps.push_back(c.steps[i]), f.loss.push_back(c.losses[i]);
    points += steps.size();
    f.schedule = prepare_schedule(o.form, lr, steps);
    fit.push_back(std::move(f));
  }
  if (points < static_cast<size_t>(K) + 1)
    throw UsageError("forecast fit: " + std::to_string(points) + " observed points after the warm-up, too few for " +
                     std::to_string(K) + " coefficients");

  // Score every grid point after solving its linear coefficients; refine the best few.
  const auto axes = exponent_grid(o.form);
  InitGrid grid(axes);
  CurvesObjective score(fit, K, o.huber_delta);
  std::vector<std::pair<double, std::vector<double>>> ranked;
  for (size_t i = 0; i < grid.size(); ++i) {
    auto p = grid.point(i);
    solve_linear(fit, p);
    double f = 0;
    if (score.Evaluate(p.data(), &f, nullptr) && std::isfinite(f)) ranked.emplace_back(f, p);
  }
  if (ranked.empty()) throw std::runtime_error("forecast fit: the law could not be evaluated at any starting point");
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  ranked.resize(std::min(ranked.size(), std::max<size_t>(o.refine, 1)));

  FitOptions fo;
  fo.huber_delta = o.huber_delta, fo.threads = o.threads, fo.max_iterations = 2000, fo.tolerance = 1e-9;
  auto best = minimize_multistart([&] { return std::make_unique<CurvesObjective>(fit, K, o.huber_delta); },
                                  [&](size_t i) { return ranked[i].second; }, ranked.size(), fo,
                                  "forecast fit (" + law.name + ")");
  ForecastModel model;
  model.form = o.form;
  model.params = rescale_lr_units(o.form, best.params, peak);
  model.huber_delta = o.huber_delta, model.objective = best.objective, model.starts = grid.size();
  model.model = curves[0].model;
  for (const auto& c : curves) model.fit.push_back(forecast_error(model, c));
  return model;
}

std::vector<double> predict_losses(const ForecastModel& model, const LossCurve& curve, const std::vector<long>& steps) {
  std::vector<double> out(steps.size());
  if (steps.empty()) return out;
  prepare_schedule(model.form, curve.lr, steps)->predict(model.params.data(), out.data(), nullptr);
  return out;
}

CurveFitError forecast_error(const ForecastModel& model, const LossCurve& curve) {
  CurveFitError e;
  e.source = curve.source, e.series = curve.series;
  std::vector<long> steps;
  std::vector<double> observed;
  for (size_t i : fit_points(curve, SIZE_MAX)) steps.push_back(curve.steps[i]), observed.push_back(curve.losses[i]);
  e.points = steps.size();
  if (steps.empty()) return e;
  auto pred = predict_losses(model, curve, steps);
  for (size_t i = 0; i < steps.size(); ++i) {
    double rel = std::abs(pred[i] - observed[i]) / observed[i];
    e.mean_relative += rel / steps.size();
    e.max_relative = std::max(e.max_relative, rel);
  }
  e.final_step = steps.back(), e.final_observed = observed.back(), e.final_predicted = pred.back();
  return e;
}

ForecastScore score_forecasts(const std::vector<CurveFitError>& errors) {
  ForecastScore s;
  for (const auto& e : errors) s.mean_relative += e.mean_relative, s.mean_worst += e.max_relative;
  if (!errors.empty()) s.mean_relative /= errors.size(), s.mean_worst /= errors.size();
  return s;
}

std::vector<std::pair<std::string, double>> natural_coefficients(const ForecastModel& m) {
  const auto& p = m.params;
  if (m.form == ScheduleLawForm::multi_power)
    return {{"L0", p[0]}, {"A", std::exp(p[1])}, {"alpha", p[2]}, {"B", std::exp(p[3])},
            {"C", std::exp(p[4])}, {"beta", p[5]}, {"gamma", p[6]}};
  return {{"L0", p[0]}, {"A", std::exp(p[1])}, {"alpha", p[2]}, {"C", std::exp(p[3])}, {"lambda", 1 - std::exp(-p[4])}};
}

nlohmann::json curve_error_json(const CurveFitError& e) {
  return {{"source", e.source},
          {"series", e.series},
          {"points", e.points},
          {"mean_relative_error", e.mean_relative},
          {"max_relative_error", e.max_relative},
          {"final_step", e.final_step},
          {"final_observed", e.final_observed},
          {"final_predicted", e.final_predicted}};
}

nlohmann::json forecast_model_json(const ForecastModel& m) {
  nlohmann::json coeffs = nlohmann::json::object(), fit = nlohmann::json::array();
  for (const auto& [name, value] : natural_coefficients(m)) coeffs[name] = value;
  for (const auto& e : m.fit) fit.push_back(curve_error_json(e));
  nlohmann::json model = nullptr;
  if (m.model.known)
    model = {{"n_act", m.model.n_act},       {"n_total", m.model.n_total},
             {"n_act_nonembedding", m.model.n_act_nonembedding},
             {"experts", m.model.experts},   {"top_k", m.model.top_k},
             {"granularity", m.model.granularity}};
  return {{"law", schedule_law(m.form).name}, {"coefficients", coeffs},
          {"fitted_form", m.params},          {"fitted_form_names", schedule_law(m.form).params},
          {"huber_delta", m.huber_delta},     {"objective", m.objective},
          {"starts", m.starts},               {"fit", fit},
          {"model", model}};
}

ForecastModel forecast_model_from_json(const nlohmann::json& j, const std::string& path) {
  ForecastModel m;
  try {
    m.form = parse_schedule_law(j.at("law").get<std::string>());
    m.params = j.at("fitted_form").get<std::vector<double>>();
    m.huber_delta = j.value("huber_delta", 1e-3);
    if (j.contains("model") && j["model"].is_object()) {
      const auto& d = j["model"];
      m.model = {true, d.at("n_act").get<int64_t>(), d.at("n_total").get<int64_t>(),
                 d.at("n_act_nonembedding").get<int64_t>(), d.at("experts").get<int64_t>(),
                 d.at("top_k").get<int64_t>(), d.at("granularity").get<int64_t>()};
    }
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": not a forecast model (" + e.what() + ")");
  } catch (const UsageError& e) {
    throw UsageError(path + ": " + e.what());
  }
  if (m.params.size() != schedule_law(m.form).params.size())
    throw UsageError(path + ": 'fitted_form' has " + std::to_string(m.params.size()) + " values, the " +
                     schedule_law(m.form).name + " law " + std::to_string(schedule_law(m.form).params.size()));
  for (double v : m.params)
    if (!std::isfinite(v)) throw UsageError(path + ": 'fitted_form' holds a value that is not finite");
  return m;
}

}  // namespace moelaw::analysis
