// Wall time of the joint-law fit as `moelaw fit --law joint --exhaustive` runs it: L-BFGS from every
// point of the paper's full 3^9 = 19,683-point initialisation grid, Huber δ = 0.01, on 300 synthetic runs drawn from the
// published coefficients (8 widths × 6 expert counts × 6 token counts = 288, plus 12 repeats).
#include <chrono>
#include <cstdio>
#include <thread>

#include "analysis/fit.hpp"
#include "analysis/synthetic.hpp"

using namespace moelaw::analysis;

int main() {
  const LawSpec& law = law_spec("joint");
  std::vector<double> truth = law.from_coefficients({{"a", 35.91}, {"alpha", -0.1889}, {"delta", -0.2285},
                                                     {"gamma", 0.0098}, {"b", 35.98}, {"beta", -0.1775},
                                                     {"omega", 0.5529}, {"zeta", -0.0259}, {"e_start", 2.0732},
                                                     {"e_max", 290.4521}, {"c", 1.3637}});
  std::vector<Sample> runs = joint_synthetic_runs(truth, 6, 0.005, 7);
  std::vector<Sample> extra = joint_synthetic_runs(truth, 6, 0.005, 8);
  runs.insert(runs.end(), extra.begin(), extra.begin() + (300 - runs.size()));
  InitGrid grid(law);
  auto t0 = std::chrono::steady_clock::now();
  FitOptions options{law.default_huber_delta()};
  options.exhaustive = true;  // L-BFGS from every point: bench_fit_laws times the default, screened fit
  FitResult fit = fit_multistart(law, runs, grid, options);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("joint-law fit: %zu runs, %zu starts (%zu failed), %u threads: %.2f s wall, objective %.8g\n",
              runs.size(), fit.starts, fit.failed, std::thread::hardware_concurrency(), seconds, fit.objective);
  for (const auto& [name, v] : law.coefficients(fit.params.data())) std::printf("  %s = %.6g\n", name.c_str(), v);
  return 0;
}
