#include "analysis/fit.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <ceres/gradient_problem_solver.h>
#include <glog/logging.h>

#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

ceres::GradientProblemSolver::Options solver_options(const FitOptions& o) {
  // Ceres's line search warns (through glog) each time it interpolates over a flat segment, which
  // thousands of starts far from the optimum do routinely; only errors are worth printing.
  static std::once_flag quiet;
  std::call_once(quiet, [] { FLAGS_minloglevel = std::max(FLAGS_minloglevel, int(google::GLOG_ERROR)); });
  ceres::GradientProblemSolver::Options opt;
  opt.line_search_direction_type = ceres::LBFGS;
  opt.max_num_iterations = o.max_iterations;
  // Relative tolerances: the best start still lands on the optimum to ~8 digits (Chinchilla's
  // objective matches the replication's 0.0010182740), while the thousands of starts that head
  // for worse optima stop early; 1e-12 costs the joint fit about half again as many steps.
  opt.function_tolerance = o.tolerance;
  opt.parameter_tolerance = o.tolerance;
  opt.gradient_tolerance = o.tolerance * 1e-2;
  opt.logging_type = ceres::SILENT;
  return opt;
}

struct Best {
  double objective = std::numeric_limits<double>::infinity();
  size_t index = std::numeric_limits<size_t>::max();
  std::vector<double> params;
  size_t failed = 0;

  void offer(double f, size_t i, const std::vector<double>& p) {
    if (f < objective || (f == objective && i < index)) {
      objective = f;
      index = i;
      params = p;
    }
  }
};

// Solves from x in place; the final objective, or NaN if it could not be evaluated.
double solve(const ceres::GradientProblem& problem, const ceres::GradientProblemSolver::Options& opt,
             std::vector<double>& x) {
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(opt, problem, x.data(), &summary);
  if (!std::isfinite(summary.final_cost) || summary.termination_type == ceres::FAILURE)
    return std::numeric_limits<double>::quiet_NaN();
  return summary.final_cost;
}

}  // namespace

GridOverrides parse_init_grid(const LawSpec& law, const std::string& text) {
  GridOverrides out;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ';')) {
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string name = item.substr(0, eq);
    bool known = false;
    std::string names;
    for (const auto& p : law.params()) {
      known |= p.name == name;
      names += (names.empty() ? "" : ", ") + p.name;
    }
    if (eq == std::string::npos || !known)
      throw UsageError("--init-grid: '" + item + "' is not NAME=V1,V2,... with NAME one of " + names);
    std::vector<double> values;
    std::stringstream vs(item.substr(eq + 1));
    std::string v;
    while (std::getline(vs, v, ',')) {
      char* end = nullptr;
      double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(x))
        throw UsageError("--init-grid: '" + v + "' in '" + item + "' is not a number");
      values.push_back(x);
    }
    if (values.empty()) throw UsageError("--init-grid: no values for " + name);
    out[name] = values;
  }
  return out;
}

InitGrid::InitGrid(const LawSpec& law, const GridOverrides& overrides) {
  for (const auto& p : law.params()) {
    auto it = overrides.find(p.name);
    axes_.push_back(it == overrides.end() ? p.grid : it->second);
  }
}

size_t InitGrid::size() const {
  size_t n = 1;
  for (const auto& a : axes_) n *= a.size();
  return n;
}

std::vector<double> InitGrid::point(size_t index) const {
  std::vector<double> p(axes_.size());
  for (size_t k = axes_.size(); k-- > 0;) {
    p[k] = axes_[k][index % axes_[k].size()];
    index /= axes_[k].size();
  }
  return p;
}

FitResult minimize_multistart(const std::function<std::unique_ptr<ceres::FirstOrderFunction>()>& make,
                              const std::function<std::vector<double>(size_t)>& start, size_t total,
                              const FitOptions& options, const std::string& what) {
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(total, 1)));
  const auto opt = solver_options(options);
  std::atomic<size_t> next{0};
  std::vector<Best> best(threads);
  // Starts are handed out one at a time: their cost varies by orders of magnitude.
  auto work = [&](unsigned t) {
    ceres::GradientProblem problem(make().release());
    for (size_t i; (i = next.fetch_add(1)) < total;) {
      std::vector<double> x = start(i);
      double f = solve(problem, opt, x);
      if (std::isnan(f)) ++best[t].failed;
      else best[t].offer(f, i, x);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();

  Best all;
  for (const Best& b : best) {
    all.failed += b.failed;
    if (b.index != std::numeric_limits<size_t>::max()) all.offer(b.objective, b.index, b.params);
  }
  if (all.params.empty())
    throw std::runtime_error(what + ": every one of " + std::to_string(total) + " starts failed to evaluate");
  return {all.params, all.objective, total, all.failed};
}

FitResult fit_multistart(const LawSpec& law, const std::vector<Sample>& samples, const InitGrid& grid,
                         const FitOptions& options) {
  return minimize_multistart([&] { return law.objective(samples, options.huber_delta); },
                             [&](size_t i) { return grid.point(i); }, grid.size(), options, "law '" + law.name() + "'");
}

FitResult fit_from(const LawSpec& law, const std::vector<Sample>& samples, const std::vector<double>& start,
                   const FitOptions& options) {
  ceres::GradientProblem problem(law.objective(samples, options.huber_delta).release());
  std::vector<double> x = start;
  double f = solve(problem, solver_options(options), x);
  if (std::isnan(f)) throw std::runtime_error("law '" + law.name() + "': refit failed to evaluate");
  return {x, f, 1, 0};
}

double rmse_ln(const LawSpec& law, const std::vector<double>& params, const std::vector<Sample>& samples) {
  if (samples.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (const Sample& x : samples) {
    double r = x.ln_loss - law.predict_ln(params.data(), x.x.data());
    s += r * r;
  }
  return std::sqrt(s / samples.size());
}

}  // namespace moelaw::analysis
