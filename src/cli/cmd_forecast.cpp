// `moelaw forecast fit CURVE... --out MODEL.json` and `moelaw forecast predict MODEL.json CURVE...`:
// a law of the loss over the whole LR schedule, fitted to some curves of one model and used to
// predict others from their schedules (analysis/forecast_workflow.hpp).
#include <cstdio>
#include <iostream>

#include "analysis/forecast_workflow.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"

namespace moelaw::cli {

namespace {

using namespace moelaw::analysis;

const char* kForecastUsage =
    "moelaw forecast fit CURVE... --out MODEL.json [options]\n"
    "moelaw forecast predict MODEL.json CURVE... [--json] [options]\n\n"
    "A CURVE is a moelaw run directory (schedule from config.toml, losses from metrics.h5, a\n"
    "cooldown continued by its trunk's curve) or a CSV step,lr,loss (LR linear between rows, loss\n"
    "empty on schedule-only rows). fit prints the coefficients and each curve's fit error; predict\n"
    "predicts each curve from its schedule alone and compares with the losses it has.\n"
    "  --law multi-power|annealing  Luo et al. 2025 (default) or Tissue et al. 2024 (fit only)\n"
    "  --losses held-out|training   a run directory's series (default held-out when it has 3+)\n"
    "  --huber-delta X              Huber δ on ln-residuals (default 1e-3; fit only)\n"
    "  --max-points N               points per curve the fit uses, evenly spread (default 256)\n"
    "  --threads T                  threads for the L-BFGS starts (default: all cores)\n"
    "  --plots DIR                  one plot per curve (observed and predicted) through gnuplot\n"
    "  --json                       predict: {\"curves\": [{source, steps, observed, predicted}]}\n"
    "Errors are relative, |L̂ − L| / L, over the observed points after the warm-up.\n";

void print_errors(const std::vector<CurveFitError>& errors, const char* what) {
  std::printf("%-40s %-8s %6s %10s %10s %12s %12s\n", what, "series", "points", "mean rel", "worst", "final obs",
              "final pred");
  for (const auto& e : errors)
    std::printf("%-40s %-8s %6zu %10.5f %10.5f %12.5f %12.5f\n", e.source.c_str(), e.series.c_str(), e.points,
                e.mean_relative, e.max_relative, e.final_observed, e.final_predicted);
  auto s = score_forecasts(errors);
  std::printf("mean over %zu curves: mean relative error %.5f, mean worst error %.5f\n", errors.size(),
              s.mean_relative, s.mean_worst);
}

CurveLosses losses_option(const Args& args) {
  auto v = args.value("--losses").value_or("held-out");
  if (v != "held-out" && v != "training") args.fail("--losses must be held-out or training, not '" + v + "'");
  return v == "held-out" ? CurveLosses::held_out : CurveLosses::training;
}

void print_notes(const std::vector<std::string>& notes) {
  for (const auto& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
}

}  // namespace

int cmd_forecast(const Argv& argv) {
  Args args("forecast", argv,
            {{"--out", true}, {"--law", true}, {"--losses", true}, {"--huber-delta", true}, {"--max-points", true},
             {"--threads", true}, {"--plots", true}, {"--json", false}},
            kForecastUsage);
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  if (args.positionals().empty()) args.fail("expected 'fit' or 'predict'");
  const std::string action = args.positionals()[0];
  std::vector<std::string> rest(args.positionals().begin() + 1, args.positionals().end());
  const std::string plots = args.value("--plots").value_or("");
  std::vector<std::string> notes;
  if (action == "fit") {
    if (rest.empty()) args.fail("fit: expected at least one CURVE");
    auto out = args.value("--out");
    if (!out) args.fail("fit: --out MODEL.json is required");
    if (args.flag("--json")) args.fail("--json is for predict");
    ForecastOptions o;
    o.form = parse_schedule_law(args.value("--law").value_or("multi-power"));
    o.huber_delta = args.real("--huber-delta").value_or(1e-3);
    if (!(o.huber_delta > 0)) args.fail("--huber-delta must be positive");
    auto points = args.integer("--max-points").value_or(256);
    if (points < 2) args.fail("--max-points must be at least 2");
    o.max_points = static_cast<size_t>(points);
    o.threads = static_cast<unsigned>(std::max(0LL, args.integer("--threads").value_or(0)));
    ForecastModel m = forecast_fit_files(rest, o, losses_option(args), *out, plots, notes);
    std::printf("%s law fitted to %zu curves (%zu grid points, objective %.6g), written to %s\n",
                schedule_law(m.form).name.c_str(), rest.size(), m.starts, m.objective, out->c_str());
    for (const auto& [name, v] : natural_coefficients(m)) std::printf("  %-6s = %.6g\n", name.c_str(), v);
    print_errors(m.fit, "fitted curve");
  } else if (action == "predict") {
    if (rest.size() < 2) args.fail("predict: expected MODEL.json and at least one CURVE");
    for (const char* opt : {"--out", "--law", "--huber-delta", "--max-points", "--threads"})
      if (args.value(opt)) args.fail(std::string(opt) + " is for fit");
    ForecastModel m = read_forecast_model(rest[0]);
    auto predictions = forecast_predict_files(m, {rest.begin() + 1, rest.end()}, losses_option(args), plots, notes);
    if (args.flag("--json")) {
      std::cout << predictions_json(predictions).dump(1) << "\n";
    } else {
      std::vector<CurveFitError> errors;
      for (const auto& p : predictions) errors.push_back(p.error);
      print_errors(errors, "predicted curve");
    }
  } else {
    args.fail("unknown action '" + action + "' (fit or predict)");
  }
  print_notes(notes);
  return 0;
}

}  // namespace moelaw::cli
