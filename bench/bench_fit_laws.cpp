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
  return 0;
}
