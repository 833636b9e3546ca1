// Wall time of every law's fit as `moelaw fit --law L` runs it by default (the law's published
// initialisation grid, screened), on 300 synthetic runs drawn from known coefficients with 0.5%
// noise. `bench_fit_laws --exhaustive LAW...` also runs the old L-BFGS-from-every-point fit of
// those laws and prints the relative difference of the two objectives.
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <thread>

#include "analysis/fit.hpp"
#include "analysis/isoflop.hpp"
#include "analysis/lr_bs_law.hpp"
#include "analysis/synthetic.hpp"

using namespace moelaw::analysis;

namespace {

// Coefficients to draw runs from: published ones where the papers give them.
Coefficients truth(const std::string& law) {
  if (law == "chinchilla") return {{"A", 406.4}, {"B", 410.7}, {"E", 1.69}, {"alpha", 0.34}, {"beta", 0.28}};
  if (law == "joint")
    return {{"a", 35.91}, {"alpha", -0.1889}, {"delta", -0.2285}, {"gamma", 0.0098}, {"b", 35.98}, {"beta", -0.1775},
            {"omega", 0.5529}, {"zeta", -0.0259}, {"e_start", 2.0732}, {"e_max", 290.4521}, {"c", 1.3637}};
  if (law == "sparsity")
    return {{"alpha", 0.5962}, {"beta", 0.3954}, {"lambda", -0.1666}, {"delta", 0.1603}, {"gamma", 0.1595},
            {"a", 16612.50}, {"b", 5455.67}, {"c", 0.4598}, {"d", 17.26}, {"e", 0.94}};
  return {{"A", 420}, {"alpha", 0.34}, {"B", 0.45}, {"beta", 0.35}, {"C", 1100}, {"gamma", 0.29}, {"F", 1.6}, {"d", -0.0012}};
}

// Wall and CPU seconds (all threads) since a mark: on a machine shared with other builds the CPU
// time says what the fit costs, the wall time what it took.
struct Clock {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  std::clock_t cpu = std::clock();
  double wall_s() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(); }
  double cpu_s() const { return double(std::clock() - cpu) / CLOCKS_PER_SEC; }
};

// 300 runs of the least-squares laws: lr-bs sweeps (6 (N, D) groups of 10 LRs × 5 batch sizes on a
// quadratic bowl around the Step Law) and an isoflop grid (one budget, 30 sizes × 10 sparsities).
RunsTable lr_bs_runs() {
  RunsTable t;
  t.source = "synthetic";
  t.columns = {"n_act_nonembedding", "tokens", "lr", "batch_tokens", "final_loss"};
  for (double n : {1e8, 4e8})
    for (double d : {2e9, 8e9, 3.2e10})
      for (int i = 0; i < 10; ++i)
        for (int k = 0; k < 5; ++k) {
          double x = (i - 4.5) * 0.35, y = (k - 2) * 0.69;
          double lr = 1.79 * std::pow(n, -0.713) * std::pow(d, 0.307) * std::exp(x), bs = 0.58 * std::pow(d, 0.571) * std::exp(y);
          t.rows.push_back({std::to_string(n), std::to_string(d), std::to_string(lr), std::to_string(bs),
                            std::to_string(2.5 + 0.04 * x * x + 0.02 * y * y + 0.01 * x * y)});
          t.lines.push_back(static_cast<long>(t.rows.size() + 1));
        }
  return t;
}
RunsTable isoflop_runs() {
  RunsTable t;
  t.source = "synthetic";
  t.columns = {"flops", "n_total", "sparsity", "final_loss"};
  for (int i = 0; i < 30; ++i)
    for (int k = 0; k < 10; ++k) {
      double x = 20 + 0.1 * i, y = 0.3 * k;
      t.rows.push_back({"1e21", std::to_string(std::exp(x)), std::to_string(-std::expm1(-y)),
                        std::to_string(15 - 0.9 * x - 0.15 * y + 0.021 * x * x + 0.03 * y * y + 0.0012 * x * y)});
      t.lines.push_back(static_cast<long>(t.rows.size() + 1));
    }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::set<std::string> exhaustive;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) != "--exhaustive") exhaustive.insert(argv[i]);
  std::printf("%u hardware threads\n", std::thread::hardware_concurrency());
  for (const std::string name : {"chinchilla", "joint", "sparsity", "moe-loglinear"}) {
    const LawSpec& law = law_spec(name);
    std::vector<Sample> runs = synthetic_runs(law, law.from_coefficients(truth(name)), 300, 0.005, 7);
    InitGrid grid(law);
    FitOptions options{law.default_huber_delta()};
    Clock t0;
    FitResult fit = fit_multistart(law, runs, grid, options);
    std::printf("%-14s %zu runs, %zu grid points, %zu L-BFGS starts: %.2f s wall, %.2f s CPU, objective %.12g\n",
                name.c_str(), runs.size(), fit.starts, fit.solved, t0.wall_s(), t0.cpu_s(), fit.objective);
    std::fflush(stdout);
    if (!exhaustive.count(name)) continue;
    options.exhaustive = true;
    Clock t1;
    FitResult all = fit_multistart(law, runs, grid, options);
    std::printf("%-14s exhaustive: %.2f s wall, %.2f s CPU, objective %.12g, relative difference (screened − "
                "exhaustive) / exhaustive %.3g\n",
                name.c_str(), t1.wall_s(), t1.cpu_s(), all.objective, (fit.objective - all.objective) / all.objective);
    std::fflush(stdout);
  }
  {
    RunsTable t = lr_bs_runs();
    Clock t0;
    LrBsFit fit = fit_lr_bs_law(t);  // the default: surface recipe, 200 bootstrap refits
    std::printf("%-14s %zu runs, %zu groups, %d bootstrap refits: %.3f s wall, %.3f s CPU, eta_n %.4f\n", "lr-bs",
                t.rows.size(), fit.groups.size(), fit.bootstrap, t0.wall_s(), t0.cpu_s(), fit.coefficients.eta_n);
  }
  {
    RunsTable t = isoflop_runs();
    Clock t0;
    auto fits = fit_isoflop(t);
    std::printf("%-14s %zu runs, %zu budget: %.3f s wall, %.3f s CPU, c_ns %.6f\n", "isoflop", t.rows.size(),
                fits.size(), t0.wall_s(), t0.cpu_s(), fits[0].c_ns);
  }
  return 0;
}
