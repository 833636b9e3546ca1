// The screened multi-start (objective at every grid point, L-BFGS from the best distinct ones)
// against the exhaustive one (L-BFGS from every point) on the same grid: the objective must be as
// low to 1e-9 relative. On the Chinchilla replication's table with Hoffmann et al.'s full grid,
// and on synthetic runs of every multi-start law with grids of several hundred points and rounds
// of 16 starts (so that screening drops most of the grid, as it does on the published grids).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include <boost/test/unit_test.hpp>

#include "analysis/fit.hpp"
#include "analysis/runs_table.hpp"
#include "analysis/synthetic.hpp"
#include "support/chinchilla_table.hpp"

BOOST_AUTO_TEST_SUITE(test_fit_screened)

using namespace moelaw::analysis;

namespace {

// Screened at least as low as exhaustive, to 1e-9 relative. It may be lower: its best optima are
// polished, while exhaustive keeps the lowest end of L-BFGS runs that stop at their tolerance or,
// in the sparsity law's flat valleys, at 1,000 iterations.
void compare(const LawSpec& law, const std::vector<Sample>& runs, const InitGrid& grid, size_t round_starts) {
  FitOptions options{law.default_huber_delta()};
  options.round_starts = round_starts;
  FitResult screened = fit_multistart(law, runs, grid, options);
  options.exhaustive = true;
  FitResult all = fit_multistart(law, runs, grid, options);
  double rel = (screened.objective - all.objective) / all.objective;
  std::cout.precision(12);
  std::cout << law.name() << ": " << grid.size() << " points, " << screened.solved << " L-BFGS starts screened: objective "
            << screened.objective << ", exhaustive " << all.objective << ", relative difference " << rel << "\n";
  BOOST_TEST(all.solved == grid.size());
  BOOST_TEST(screened.solved < grid.size() / 4);
  BOOST_TEST(rel <= 1e-9, law.name() << ": screened is worse by " << rel);
}

}  // namespace

BOOST_AUTO_TEST_CASE(chinchilla_replication_table) {
  const std::string& path = moelaw::testing::kChinchillaTable;
  if (!std::filesystem::exists(path)) {
    std::cout << "skipped: " << path << " is absent\n";
    return;
  }
  std::vector<Sample> samples = moelaw::testing::chinchilla_samples(read_runs_csv(path));
  const LawSpec& law = law_spec("chinchilla");
  compare(law, samples, InitGrid(law), 128);  // the default rounds on the full 4,500-point grid
}

BOOST_AUTO_TEST_CASE(synthetic_runs_of_every_law) {
  struct Case {
    const char* law;
    Coefficients truth;
    GridOverrides grid;
  };
  const std::vector<Case> cases = {
      {"chinchilla",
       {{"A", 406.4}, {"B", 410.7}, {"E", 1.69}, {"alpha", 0.34}, {"beta", 0.28}},
       {{"ln_E", {-1, 0, 1}}, {"alpha", {0, 1, 2}}, {"beta", {0, 1, 2}}}},
      {"joint",
       {{"a", 35.91}, {"alpha", -0.1889}, {"delta", -0.2285}, {"gamma", 0.0098}, {"b", 35.98}, {"beta", -0.1775},
        {"omega", 0.5529}, {"zeta", -0.0259}, {"e_start", 2.0732}, {"e_max", 290.4521}, {"c", 1.3637}},
       {{"ln_a", {std::log(100.0)}}, {"gamma", {0}}, {"zeta", {0}}}},
      {"sparsity",
       {{"alpha", 0.5962}, {"beta", 0.3954}, {"lambda", -0.1666}, {"delta", 0.1603}, {"gamma", 0.1595},
        {"a", 16612.50}, {"b", 5455.67}, {"c", 0.4598}, {"d", 17.26}, {"e", 0.94}},
       {{"ln_c", {0}}, {"ln_d", {0, 10}}, {"alpha", {0.25, 0.75}}, {"beta", {0.25, 0.75}}, {"gamma", {0, 1}},
        {"lambda", {-1, 0, 1}}, {"delta", {0, 1}}}},
      {"moe-loglinear",
       {{"A", 420}, {"alpha", 0.34}, {"B", 0.45}, {"beta", 0.35}, {"C", 1100}, {"gamma", 0.29}, {"F", 1.6}, {"d", -0.0012}},
       {{"ln_A", {0, 10, 20}}, {"ln_B", {0, 10}}, {"ln_C", {0, 10, 20}}, {"ln_F", {-1, 0, 1}}, {"alpha", {0, 1}},
        {"beta", {0.5}}, {"gamma", {0, 1}}, {"d", {0, 5}}}},
  };
  for (const Case& c : cases) {
    const LawSpec& law = law_spec(c.law);
    std::vector<Sample> runs = synthetic_runs(law, law.from_coefficients(c.truth), 120, 0.005, 3);
    InitGrid grid(law, c.grid);
    BOOST_TEST_REQUIRE(grid.size() >= 200u, c.law << ": " << grid.size() << " points");
    compare(law, runs, grid, 16);
  }
}

BOOST_AUTO_TEST_SUITE_END()
