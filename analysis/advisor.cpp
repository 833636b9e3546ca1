#include "analysis/advisor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include "analysis/relaxed_design.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

struct Scored {
  size_t index;
  double cost, score;
};

}  // namespace

namespace {

// Ratio greedy with the look-ahead, after `forced` (if any) is taken first.
Selection greedy(TargetLinearisation lin, const std::vector<Candidate>& candidates,
                 const std::vector<Eigen::VectorXd>& rows, TrunkProgress progress, double budget,
                 const SelectOptions& options, long forced) {
  const size_t n = candidates.size();
  std::vector<bool> chosen(n, false);
  Selection sel;
  sel.before = lin.interval();
  double left = budget;
  auto take = [&](size_t i, double cost) {
    chosen[i] = true;
    lin.add(rows[i]);
    record_trained(candidates[i], progress);
    left -= cost;
    sel.flops += cost;
    sel.runs.push_back({i, candidates[i].run_id, cost, lin.interval().width()});
  };
  if (forced >= 0) take(static_cast<size_t>(forced), candidate_flops(candidates[forced], progress));
  for (;;) {
    const double v0 = lin.variance(), w0 = lin.interval_at(v0).width();
    std::vector<Scored> singles;
    for (size_t i = 0; i < n; ++i) {
      if (chosen[i]) continue;
      const double cost = candidate_flops(candidates[i], progress);
      if (!(cost <= left)) continue;
      singles.push_back({i, cost, (w0 - lin.interval_at(lin.variance_after(rows[i])).width()) / cost});
    }
    if (singles.empty()) break;
    std::stable_sort(singles.begin(), singles.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
    const size_t first_k = std::min<size_t>(singles.size(), std::max(1, options.lookahead));
    Scored best = singles[0];
    double best_total = singles[0].score;
    for (size_t f = 0; f < first_k; ++f) {
      const Scored& c = singles[f];
      TargetLinearisation after = lin;
      after.add(rows[c.index]);
      TrunkProgress p = progress;
      record_trained(candidates[c.index], p);
      double total = c.score;
      for (size_t k = 0; k < n; ++k) {
        if (chosen[k] || k == c.index) continue;
        const double cost = c.cost + candidate_flops(candidates[k], p);
        if (!(cost <= left)) continue;
        total = std::max(total, (w0 - after.interval_at(after.variance_after(rows[k])).width()) / cost);
      }
      if (total > best_total || (total == best_total && c.index < best.index)) best = c, best_total = total;
    }
    if (!(best_total > 1e-12 * w0 / budget)) break;  // nothing left that narrows the interval
    take(best.index, best.cost);
  }
  sel.after = lin.interval();
  return sel;
}

// FLOPs of a set of runs trained in order of length (each trunk paid once, as far as it goes).
double set_flops(const std::vector<Candidate>& candidates, std::vector<size_t> set, TrunkProgress progress) {
  std::stable_sort(set.begin(), set.end(), [&](size_t a, size_t b) { return candidates[a].tokens < candidates[b].tokens; });
  double total = 0;
  for (size_t i : set) total += candidate_flops(candidates[i], progress), record_trained(candidates[i], progress);
  return total;
}

double set_variance(TargetLinearisation lin, const std::vector<Eigen::VectorXd>& rows, const std::vector<size_t>& set) {
  for (size_t i : set) lin.add(rows[i]);
  return lin.variance();
}

// Exchanges: swap a chosen run for one left out while that narrows the interval within budget.
std::vector<size_t> exchanged(const TargetLinearisation& lin, const std::vector<Eigen::VectorXd>& rows,
                              const std::vector<Candidate>& candidates, const TrunkProgress& progress, double budget,
                              std::vector<size_t> set) {
  const size_t n = candidates.size();
  double var = set_variance(lin, rows, set);
  bool swapped = !set.empty();
  for (int pass = 0; swapped && pass < 4; ++pass) {
    swapped = false;
    for (size_t k = 0; k < set.size(); ++k)
      for (size_t j = 0; j < n; ++j) {
        if (std::find(set.begin(), set.end(), j) != set.end()) continue;
        std::vector<size_t> trial = set;
        trial[k] = j;
        if (!(set_flops(candidates, trial, progress) <= budget)) continue;
        const double v = set_variance(lin, rows, trial);
        if (v < var * (1 - 1e-9)) set = trial, var = v, swapped = true;
      }
  }
  return set;
}

// The report of a design in the order of length (how the trunks are paid), with the widths after each.
Selection reported(const TargetLinearisation& lin, const std::vector<Eigen::VectorXd>& rows,
                   const std::vector<Candidate>& candidates, TrunkProgress p, std::vector<size_t> set,
                   const TargetInterval& before) {
  std::stable_sort(set.begin(), set.end(), [&](size_t a, size_t b) { return candidates[a].tokens < candidates[b].tokens; });
  Selection out;
  out.before = before;
  TargetLinearisation l = lin;
  for (size_t i : set) {
    const double cost = candidate_flops(candidates[i], p);
    record_trained(candidates[i], p);
    l.add(rows[i]);
    out.flops += cost;
    out.runs.push_back({i, candidates[i].run_id, cost, l.interval().width()});
  }
  out.after = l.interval();
  return out;
}

}  // namespace

Selection select_runs(TargetLinearisation& lin, const std::vector<Candidate>& candidates,
                      const std::vector<std::array<double, 3>>& features, TrunkProgress progress, double budget,
                      const SelectOptions& options) {
  const size_t n = candidates.size();
  size_t cheapest = 0;
  for (size_t i = 1; i < n; ++i)
    if (candidate_flops(candidates[i], progress) < candidate_flops(candidates[cheapest], progress)) cheapest = i;
  if (n == 0 || !(candidate_flops(candidates[cheapest], progress) <= budget))
    throw UsageError("--budget " + number(budget) + " is below the cheapest candidate" +
                     (n ? " (" + candidates[cheapest].run_id + ", " +
                              number(candidate_flops(candidates[cheapest], progress)) + " FLOPs)"
                        : std::string()));
  std::vector<Eigen::VectorXd> rows;
  for (const auto& x : features) rows.push_back(lin.jacobian_row(x));
  // Ratio greedy alone can spend the budget on cheap runs and miss an expensive one that matters
  // (the knapsack trap): also start from each of the runs that narrow the interval most on their
  // own, and keep the design that ends narrowest (ties: the plain greedy, then the earlier start).
  Selection best = greedy(lin, candidates, rows, progress, budget, options, -1);
  std::vector<std::pair<double, size_t>> gains;
  for (size_t i = 0; i < n; ++i)
    if (candidate_flops(candidates[i], progress) <= budget) gains.push_back({lin.variance_after(rows[i]), i});
  std::stable_sort(gains.begin(), gains.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t g = 0; g < std::min<size_t>(gains.size(), std::max(1, options.lookahead)); ++g) {
    Selection s = greedy(lin, candidates, rows, progress, budget, options, static_cast<long>(gains[g].second));
    if (s.after.width() < best.after.width()) best = s;
  }
  std::vector<std::vector<size_t>> designs(1);
  for (const AdvisedRun& r : best.runs) designs[0].push_back(r.index);
  if (options.relaxation)
    designs.push_back(round_weights(relaxed_weights(lin, candidates, rows, progress, budget), candidates, progress,
                                    budget));
  for (auto& d : designs) d = exchanged(lin, rows, candidates, progress, budget, std::move(d));
  for (size_t k = 0; k < designs.size(); ++k) {
    Selection s = reported(lin, rows, candidates, progress, designs[k], best.before);
    if (s.after.width() < best.after.width()) best = s;
  }
  for (const AdvisedRun& r : best.runs) lin.add(rows[r.index]);
  return best;
}

std::vector<double> fit_for_advice(const LawSpec& law, const std::vector<Sample>& samples, const FitOptions& options,
                                   const std::string& source) {
  if (samples.size() <= static_cast<size_t>(law.num_params()))
    throw UsageError("--law " + law.name() + " cannot be fitted to the " + std::to_string(samples.size()) +
                     " runs of " + source + ": it has " + std::to_string(law.num_params()) +
                     " parameters and needs more runs than that");
  try {
    return fit_multistart(law, samples, InitGrid(law), options).params;
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw UsageError("--law " + law.name() + " cannot be fitted to the runs of " + source + ": " + e.what());
  }
}

namespace {

// The table with its n_act cells replaced by `column`'s (UsageError naming --n-column and the row).
RunsTable with_n_from(RunsTable t, const std::string& column) {
  const int from = t.column_index(column), to = t.column_index("n_act");
  if (from < 0) throw UsageError("--n-column " + column + ": " + t.source + " has no such column");
  for (size_t r = 0; r < t.rows.size(); ++r) {
    t.number(r, column);  // checked: a positive number, or an error naming the row
    if (to < 0) continue;
    t.rows[r].resize(t.columns.size());
    t.rows[r][to] = t.rows[r][from];
  }
  if (to < 0) {
    t.columns.push_back("n_act");
    for (auto& row : t.rows) row.resize(t.columns.size()), row.back() = row[from];
  }
  return t;
}

}  // namespace

AdviseResult advise(const RunsTable& finished_table, const CandidateSet& candidate_set, const AdviseRequest& request) {
  const bool renamed = !request.n_column.empty();
  const RunsTable finished = renamed ? with_n_from(finished_table, request.n_column) : finished_table;
  CandidateSet renamed_set;
  if (renamed) renamed_set = candidate_set, renamed_set.table = with_n_from(candidate_set.table, request.n_column);
  const CandidateSet& candidates = renamed ? renamed_set : candidate_set;
  const LawSpec& law = law_spec(request.law);
  check_advisable(law);
  if (!(request.target.compute > 0)) throw UsageError("--target must be a positive compute in FLOPs");
  if (!(request.budget > 0)) throw UsageError("--budget must be a positive number of FLOPs");
  FitOptions options = request.fit;
  if (options.huber_delta < 0) options.huber_delta = law.default_huber_delta();
  std::vector<Sample> samples = samples_for(law, finished);
  AdviseResult r;
  r.law = law.name(), r.target = request.target, r.budget = request.budget, r.finished_runs = samples.size();
  r.params = fit_for_advice(law, samples, options, finished.source);
  // Candidates already in the runs table (a grid that names the study's finished runs too) are
  // not candidates any more.
  std::set<std::string> done;
  if (int c = finished.column_index("run_id"); c >= 0)
    for (const auto& row : finished.rows)
      if (static_cast<size_t>(c) < row.size()) done.insert(row[c]);
  std::vector<size_t> open;
  std::vector<Candidate> runs;
  std::vector<std::array<double, 3>> features;
  for (size_t i = 0; i < candidates.runs.size(); ++i) {
    if (done.count(candidates.runs[i].run_id)) continue;
    open.push_back(i);
    runs.push_back(candidates.runs[i]);
    features.push_back(law.features(candidates.table, i));
  }
  r.already_trained = candidates.runs.size() - open.size();
  if (open.empty()) throw UsageError("--candidates: every candidate is already a run of " + finished.source);
  try {
    TargetLinearisation lin(law, r.params, samples, options.huber_delta, request.target);
    r.noise_sd = lin.noise_sd();
    r.selection = select_runs(lin, runs, features, trunk_progress(finished), request.budget, request.select);
    for (AdvisedRun& a : r.selection.runs) a.index = open[a.index];  // rows of the candidates again
  } catch (const UsageError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw UsageError("--law " + law.name() + " fitted to " + finished.source + " has no compute optimum: " + e.what());
  }
  if (request.bootstrap > 0)
    r.bootstrap_before = bootstrap_target(law, samples, r.params, request.target, request.bootstrap, options,
                                          request.seed);
  if (request.truth) {
    Simulation s;
    s.truth = target_scaled(law, *request.truth, request.target);
    s.predicted_before = target_scaled(law, r.params, request.target);
    std::mt19937_64 rng(request.seed);
    std::normal_distribution<double> gauss(0.0, request.noise);
    std::vector<Sample> grown = samples;
    for (const AdvisedRun& run : r.selection.runs) {
      Sample x;
      x.x = law.features(candidates.table, run.index);
      x.ln_loss = law.predict_ln(request.truth->data(), x.x.data()) + gauss(rng);
      s.losses.push_back(std::exp(x.ln_loss));
      grown.push_back(x);
    }
    auto refit = fit_for_advice(law, grown, options, finished.source + " with the simulated runs");
    s.predicted_after = target_scaled(law, refit, request.target);
    s.refit_interval = TargetLinearisation(law, refit, grown, options.huber_delta, request.target).interval();
    if (request.target.quantity != Quantity::loss) {
      s.truth = std::exp(s.truth), s.predicted_before = std::exp(s.predicted_before);
      s.predicted_after = std::exp(s.predicted_after);
    }
    r.simulation = s;
  }
  return r;
}

nlohmann::json advise_json(const AdviseResult& r) {
  auto range = [](const TargetInterval& i) { return nlohmann::json::array({i.lo, i.hi}); };
  nlohmann::json j;
  j["law"] = r.law;
  j["quantity"] = quantity_name(r.target.quantity);
  j["target_compute"] = r.target.compute;
  j["experts"] = r.target.experts;
  j["budget"] = r.budget;
  j["finished_runs"] = r.finished_runs;
  j["already_trained"] = r.already_trained;
  j["prediction"] = r.selection.before.value;
  j["selected"] = nlohmann::json::array();
  for (const AdvisedRun& a : r.selection.runs)
    j["selected"].push_back({{"run_id", a.run_id}, {"flops", a.flops}, {"interval", a.interval}});
  j["flops"] = r.selection.flops;
  j["interval_before"] = r.selection.before.width();
  j["interval_after"] = r.selection.after.width();
  j["range_before"] = range(r.selection.before);
  j["range_after"] = range(r.selection.after);
  if (r.bootstrap_before)
    j["bootstrap_before"] = {{"range", range(*r.bootstrap_before)}, {"interval", r.bootstrap_before->width()}};
  if (r.simulation) {
    const Simulation& s = *r.simulation;
    j["simulation"] = {{"truth", s.truth},
                       {"predicted_before", s.predicted_before},
                       {"predicted_after", s.predicted_after},
                       {"error_before", std::abs(s.predicted_before - s.truth)},
                       {"error_after", std::abs(s.predicted_after - s.truth)},
                       {"interval_after_refit", s.refit_interval.width()},
                       {"losses", s.losses}};
  }
  return j;
}

std::string advise_text(const AdviseResult& r) {
  std::ostringstream o;
  const Selection& s = r.selection;
  o << "law " << r.law << " fitted to " << r.finished_runs << " runs (residual sd of ln L " << number(r.noise_sd)
    << "); compute-optimal " << quantity_name(r.target.quantity) << " at C = " << number(r.target.compute)
    << (r.law == "joint" ? " (E = " + number(r.target.experts) + ")" : "") << ": " << number(s.before.value) << "\n";
  auto line = [&](const char* what, const TargetInterval& i) {
    o << what << " [" << number(i.lo) << ", " << number(i.hi) << "], width " << number(i.width()) << "\n";
  };
  if (r.already_trained) o << r.already_trained << " candidates are runs of the table already: left out\n";
  line("80% interval before:", s.before);
  if (r.bootstrap_before) line("bootstrap interval before:", *r.bootstrap_before);
  o << "\n  #  " << "run_id" << std::string(34, ' ') << "FLOPs       interval width after\n";
  for (size_t i = 0; i < s.runs.size(); ++i) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%3zu  %-40s %-11.4g %.4g\n", i + 1, s.runs[i].run_id.c_str(), s.runs[i].flops,
                  s.runs[i].interval);
    o << buf;
  }
  o << "\n" << s.runs.size() << " runs, " << number(s.flops) << " of " << number(r.budget) << " FLOPs\n";
  line("80% interval after:", s.after);
  if (r.simulation) {
    const Simulation& m = *r.simulation;
    o << "simulated: truth " << number(m.truth) << ", predicted " << number(m.predicted_before) << " before, "
      << number(m.predicted_after) << " after the chosen runs (error " << number(std::abs(m.predicted_before - m.truth))
      << " -> " << number(std::abs(m.predicted_after - m.truth)) << ")\n";
  }
  return o.str();
}

}  // namespace moelaw::analysis
