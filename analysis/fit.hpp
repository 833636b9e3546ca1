#pragma once
// Multi-start fitting from an initialisation grid, spread over all cores with std::thread, keeping
// the best optimum. By default the grid is screened: the objective is evaluated at every point
// (cheap), and L-BFGS (ceres::GradientProblemSolver) runs only from the best distinct points, in
// rounds, until a round no longer improves the best optimum; the winner is then polished at a
// tighter tolerance. `exhaustive` runs L-BFGS from every point, as the papers did.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ceres/first_order_function.h>

#include "analysis/law_spec.hpp"

namespace moelaw::analysis {

using GridOverrides = std::map<std::string, std::vector<double>>;

// "alpha=0,0.5,1;ln_A=5" → values per parameter; names must be the law's (UsageError otherwise).
GridOverrides parse_init_grid(const LawSpec& law, const std::string& text);

// The law's default grid with some parameters' values replaced. Points are enumerated lazily
// (the sparsity and log-interaction grids have ~10^5–10^6 points).
class InitGrid {
 public:
  InitGrid(const LawSpec& law, const GridOverrides& overrides = {});
  explicit InitGrid(std::vector<std::vector<double>> axes) : axes_(std::move(axes)) {}
  size_t size() const;
  std::vector<double> point(size_t index) const;  // mixed radix, last parameter fastest

 private:
  std::vector<std::vector<double>> axes_;
};

struct FitOptions {
  double huber_delta = 1e-3;
  unsigned threads = 0;        // 0: all cores
  int max_iterations = 1000;   // per start
  double tolerance = 1e-8;     // Ceres's function and parameter tolerances
  bool exhaustive = false;     // L-BFGS from every grid point instead of the screened best
  size_t round_starts = 128;   // screened: L-BFGS starts per round (at least two rounds)
};

struct FitResult {
  std::vector<double> params;  // log-form parameters of the best start
  double objective = 0;        // Σ w·Huber_δ over the training samples
  size_t starts = 0;           // grid points
  size_t failed = 0;           // starts where the objective could not be evaluated
  size_t solved = 0;           // L-BFGS runs (all starts when exhaustive)
};

// The best of all starts (ties go to the lower grid index, so the answer does not depend on how
// the threads were scheduled). Throws std::runtime_error if every start failed. Screened, `failed`
// counts the grid points where the objective is not finite and the L-BFGS runs that failed.
FitResult fit_multistart(const LawSpec& law, const std::vector<Sample>& samples, const InitGrid& grid,
                         const FitOptions& options);

// L-BFGS from every one of `total` starts over any objective: `make` builds one objective per
// thread, `start(i)` is start i; `what` names the problem in errors. For callers that rank their
// own starts (the loss-curve fits); options.exhaustive is implied.
FitResult minimize_multistart(const std::function<std::unique_ptr<ceres::FirstOrderFunction>()>& make,
                              const std::function<std::vector<double>(size_t)>& start, size_t total,
                              const FitOptions& options, const std::string& what);

// One L-BFGS run from `start` (bootstrap refits).
FitResult fit_from(const LawSpec& law, const std::vector<Sample>& samples, const std::vector<double>& start,
                   const FitOptions& options);

// Root mean square of ln L − ln L̂ over the samples (NaN when there are none).
double rmse_ln(const LawSpec& law, const std::vector<double>& params, const std::vector<Sample>& samples);

}  // namespace moelaw::analysis
