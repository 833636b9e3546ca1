// Fit time of the schedule law (`moelaw forecast fit`) on three 24,000-step curves, and the
// forecast of the six others: Luo et al.'s protocol on their 25M-parameter curves (fit on
// cosine_24000, constant_24000, wsdcon_9). Usage: bench_forecast_fit [CURVES_DIR] [LAW].
#include <chrono>
#include <ctime>
#include <cstdio>
#include <string>
#include <thread>

#include "analysis/forecast.hpp"

using namespace moelaw::analysis;

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : MOELAW_SOURCE_DIR_FOR_BENCH "/../shared/data/loss-curves";
  ForecastOptions options;
  if (argc > 2) options.form = parse_schedule_law(argv[2]);
  std::vector<LossCurve> train, test;
  for (const char* name : {"cosine_24000", "constant_24000", "wsdcon_9"}) train.push_back(read_curve_csv(dir + "/" + name + ".csv"));
  for (const char* name : {"constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18"})
    test.push_back(read_curve_csv(dir + "/" + name + ".csv"));
  auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  ForecastModel model = fit_forecast(train, options);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
  // CPU time beside wall time: on a shared machine the wall time says more about the neighbours.
  std::printf("%s law: fit on 3 curves in %.2f s wall, %.2f s CPU (%u hardware threads), objective %.6g, %zu grid points\n",
              schedule_law(options.form).name.c_str(), seconds, cpu, std::thread::hardware_concurrency(),
              model.objective, model.starts);
  for (const auto& [name, v] : natural_coefficients(model)) std::printf("  %s = %.6g\n", name.c_str(), v);
  std::vector<CurveFitError> errors;
  for (const auto& c : test) errors.push_back(forecast_error(model, c));
  std::printf("%-28s %7s %12s %12s\n", "predicted curve", "points", "mean rel", "worst");
  for (const auto& e : model.fit) std::printf("%-28s %7zu %12.5f %12.5f (fitted)\n", e.source.substr(e.source.rfind('/') + 1).c_str(), e.points, e.mean_relative, e.max_relative);
  for (const auto& e : errors) std::printf("%-28s %7zu %12.5f %12.5f\n", e.source.substr(e.source.rfind('/') + 1).c_str(), e.points, e.mean_relative, e.max_relative);
  auto s = score_forecasts(errors);
  std::printf("six predicted curves: mean relative error %.5f, mean worst error %.5f (published 0.00110, 0.00409)\n",
              s.mean_relative, s.mean_worst);
  return 0;
}
