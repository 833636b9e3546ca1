#include "analysis/isoflop.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <Eigen/Dense>

#include "analysis/law_spec.hpp"
#include "analysis/linear_solve.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

struct Run {
  double budget, x, y, loss;
};

IsoflopFit fit_one(const std::vector<Run>& runs, const std::string& source) {
  IsoflopFit f;
  f.runs = runs.size();
  double sum = 0;
  std::set<double> xs, ys;
  for (const Run& r : runs) sum += r.budget, xs.insert(r.x), ys.insert(r.y);
  f.budget = sum / runs.size();
  if (runs.size() < 6 || xs.size() < 3 || ys.size() < 3)
    throw UsageError(source + ": too few runs for the isoflop fit at budget " + std::to_string(f.budget) + ": " +
                     std::to_string(runs.size()) + " runs over " + std::to_string(xs.size()) +
                     " values of column 'n_total' and " + std::to_string(ys.size()) +
                     " of sparsity; need 6 runs over at least 3 of each");
  Eigen::MatrixXd a(runs.size(), 6);
  Eigen::VectorXd l(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    const double x = runs[i].x, y = runs[i].y;
    a.row(i) << 1, x, y, x * x, y * y, x * y;
    l(i) = runs[i].loss;
  }
  Eigen::VectorXd c = least_squares(a, l);
  f.c0 = c(0), f.c_n = c(1), f.c_s = c(2), f.c_nn = c(3), f.c_ss = c(4), f.c_ns = c(5);
  f.rmse = std::sqrt((a * c - l).squaredNorm() / runs.size());
  Eigen::Matrix2d h;
  h << 2 * f.c_nn, f.c_ns, f.c_ns, 2 * f.c_ss;
  if (h(0, 0) > 0 && h.determinant() > 0) {
    Eigen::Vector2d v = h.ldlt().solve(Eigen::Vector2d(-f.c_n, -f.c_s));
    f.has_minimum = true;
    f.n_total = std::exp(v(0));
    f.sparsity = -std::expm1(-v(1));
    f.loss = c(0) + c(1) * v(0) + c(2) * v(1) + c(3) * v(0) * v(0) + c(4) * v(1) * v(1) + c(5) * v(0) * v(1);
  }
  return f;
}

}  // namespace

std::vector<std::pair<std::string, double>> IsoflopFit::coefficients() const {
  return {{"c0", c0}, {"c_n", c_n}, {"c_s", c_s}, {"c_nn", c_nn}, {"c_ss", c_ss}, {"c_ns", c_ns}};
}

std::vector<IsoflopFit> fit_isoflop(const RunsTable& t) {
  const bool flops = t.column_index("flops") >= 0;
  std::vector<Run> runs;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    double budget = flops ? cell_number(t, r, "flops") : 6 * cell_number(t, r, "n_act") * cell_number(t, r, "tokens");
    runs.push_back({budget, std::log(cell_number(t, r, "n_total")), -std::log1p(-row_sparsity(t, r)),
                    cell_number(t, r, "final_loss")});
  }
  std::stable_sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.budget < b.budget; });
  std::vector<IsoflopFit> out;
  for (size_t i = 0; i < runs.size();) {
    size_t j = i;
    while (j < runs.size() && runs[j].budget <= runs[i].budget * 1.02) ++j;
    out.push_back(fit_one(std::vector<Run>(runs.begin() + i, runs.begin() + j), t.source));
    i = j;
  }
  return out;
}

}  // namespace moelaw::analysis
