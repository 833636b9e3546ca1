#include "analysis/fit.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
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

namespace {

unsigned thread_count(const FitOptions& o, size_t work) {
  unsigned t = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::min<size_t>(t, std::max<size_t>(work, 1)));
}

// body(t, i) for every i < count on `threads` threads (t is the thread's number). Indices are
// handed out one at a time: the cost of an L-BFGS start varies by orders of magnitude.
template <class Body>
void for_each_index(size_t count, unsigned threads, const Body& body) {
  std::atomic<size_t> next{0};
  auto work = [&](unsigned t) {
    for (size_t i; (i = next.fetch_add(1)) < count;) body(t, i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
}

using Problems = std::vector<std::unique_ptr<ceres::GradientProblem>>;
using MakeObjective = std::function<std::unique_ptr<ceres::FirstOrderFunction>()>;
using StartPoint = std::function<std::vector<double>(size_t)>;

// One objective per thread (the functions keep per-call state on the stack, but one each keeps
// that a property of this file rather than of every objective).
Problems problems(const MakeObjective& make, unsigned threads) {
  Problems out;
  for (unsigned t = 0; t < threads; ++t) out.push_back(std::make_unique<ceres::GradientProblem>(make().release()));
  return out;
}

struct Found {
  double objective;
  size_t index;
  std::vector<double> params;
};

// L-BFGS from the grid points starts[0..count) (grid indices by `index_of`), merged into `all`;
// every optimum reached is appended to `found` when given.
template <class IndexOf>
void solve_starts(const Problems& problem, const ceres::GradientProblemSolver::Options& opt, const StartPoint& start,
                  size_t count, const IndexOf& index_of, Best& all, std::vector<Found>* found = nullptr) {
  std::vector<Best> best(problem.size());
  std::vector<std::vector<Found>> each(problem.size());
  for_each_index(count, static_cast<unsigned>(problem.size()), [&](unsigned t, size_t k) {
    const size_t i = index_of(k);
    std::vector<double> x = start(i);
    double f = solve(*problem[t], opt, x);
    if (std::isnan(f)) {
      ++best[t].failed;
      return;
    }
    best[t].offer(f, i, x);
    if (found) each[t].push_back({f, i, x});
  });
  for (const Best& b : best) {
    all.failed += b.failed;
    if (b.index != std::numeric_limits<size_t>::max()) all.offer(b.objective, b.index, b.params);
  }
  if (found)
    for (auto& e : each) found->insert(found->end(), e.begin(), e.end());
}

// The lowest few distinct optima, each taken to the solver's precision rather than its stopping
// rule: the many starts of an exhaustive fit each stop within 1e-8 (or at 1,000 iterations) of a
// basin's floor and its best is the lowest of them, which one start would not match without going
// further. Full BFGS (the laws have at most 11 parameters) walks the flat valleys that L-BFGS
// crawls; it too can stall in one, hence several candidates.
void polish(const Problems& problem, const FitOptions& options, std::vector<Found> found, Best& all) {
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.objective < b.objective || (a.objective == b.objective && a.index < b.index);
  });
  std::vector<Found> pick;
  for (const Found& f : found)
    if (pick.size() < 4 && (pick.empty() || f.objective - pick.back().objective > 1e-12 * std::abs(f.objective)))
      pick.push_back(f);
  auto opt = solver_options(options);
  opt.line_search_direction_type = ceres::BFGS;
  opt.max_num_iterations = 20000;
  opt.function_tolerance = opt.parameter_tolerance = 1e-15;
  opt.gradient_tolerance = 1e-18;
  for_each_index(pick.size(), static_cast<unsigned>(std::min(problem.size(), pick.size())), [&](unsigned t, size_t k) {
    std::vector<double> x = pick[k].params;
    double f = solve(*problem[t], opt, x);
    if (f < pick[k].objective) pick[k].objective = f, pick[k].params = x;
  });
  for (const Found& f : pick)
    if (f.objective < all.objective) all.objective = f.objective, all.index = f.index, all.params = f.params;
}

// The objective at every grid point (NaN where it is not finite).
std::vector<double> screen(const Problems& problem, const StartPoint& start, size_t total) {
  std::vector<double> value(total);
  for_each_index(total, static_cast<unsigned>(problem.size()), [&](unsigned t, size_t i) {
    std::vector<double> x = start(i);
    double f = 0;
    value[i] = problem[t]->Evaluate(x.data(), &f, nullptr) && std::isfinite(f) ? f : std::nan("");
  });
  return value;
}

// Grid points by increasing objective (ties by index), keeping one of each run of equal values:
// points that differ only in a term the data cannot see start L-BFGS at the same place in effect.
std::vector<size_t> distinct_by_value(const std::vector<double>& value) {
  std::vector<size_t> order;
  for (size_t i = 0; i < value.size(); ++i)
    if (!std::isnan(value[i])) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return value[a] < value[b] || (value[a] == value[b] && a < b);
  });
  std::vector<size_t> out;
  for (size_t i : order)
    if (out.empty() || value[i] - value[out.back()] > 1e-12 * std::abs(value[i])) out.push_back(i);
  return out;
}

}  // namespace

namespace {

FitResult multistart(const MakeObjective& make, const StartPoint& start, size_t total, const FitOptions& options,
                     const std::string& what) {
  const auto problem = problems(make, thread_count(options, total));
  const auto opt = solver_options(options);
  Best all;
  size_t solved = total;
  if (options.exhaustive) {
    solve_starts(problem, opt, start, total, [](size_t k) { return k; }, all);
  } else {
    std::vector<double> value = screen(problem, start, total);
    std::vector<size_t> starts = distinct_by_value(value);
    all.failed = total - static_cast<size_t>(std::count_if(value.begin(), value.end(), [](double v) { return !std::isnan(v); }));
    // Rounds of the next-best starts, each round's best optima polished, until a round after the
    // second no longer lowers the polished optimum by 1e-9 relative: a new basin rather than the
    // same floor reached again (unpolished ends differ by far more where L-BFGS crawls a valley).
    const size_t per_round = std::max<size_t>(1, options.round_starts);
    size_t done = 0;
    for (int round = 0; done < starts.size(); ++round) {
      const double before = all.objective;
      const size_t count = std::min(per_round, starts.size() - done);
      std::vector<Found> found;
      solve_starts(problem, opt, start, count, [&](size_t k) { return starts[done + k]; }, all, &found);
      polish(problem, options, std::move(found), all);
      done += count;
      if (round >= 1 && !(all.objective < before - 1e-9 * std::abs(before))) break;
    }
    solved = done;
  }
  if (all.params.empty())
    throw std::runtime_error(what + ": every one of " + std::to_string(total) + " starts failed to evaluate");
  return {all.params, all.objective, total, all.failed, solved};
}

}  // namespace

FitResult fit_multistart(const LawSpec& law, const std::vector<Sample>& samples, const InitGrid& grid,
                         const FitOptions& options) {
  return multistart([&] { return law.objective(samples, options.huber_delta); },
                    [&](size_t i) { return grid.point(i); }, grid.size(), options, "law '" + law.name() + "'");
}

FitResult minimize_multistart(const std::function<std::unique_ptr<ceres::FirstOrderFunction>()>& make,
                              const std::function<std::vector<double>(size_t)>& start, size_t total,
                              const FitOptions& options, const std::string& what) {
  FitOptions every = options;
  every.exhaustive = true;
  return multistart(make, start, total, every, what);
}

FitResult fit_from(const LawSpec& law, const std::vector<Sample>& samples, const std::vector<double>& start,
                   const FitOptions& options) {
  ceres::GradientProblem problem(law.objective(samples, options.huber_delta).release());
  std::vector<double> x = start;
  double f = solve(problem, solver_options(options), x);
  if (std::isnan(f)) throw std::runtime_error("law '" + law.name() + "': refit failed to evaluate");
  return {x, f, 1, 0, 1};
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
