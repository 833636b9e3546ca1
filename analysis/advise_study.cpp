#include "analysis/advise_study.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>

#include "analysis/relaxed_design.hpp"
#include "analysis/synthetic.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

std::vector<Sample> samples_of(const StudyPool& pool, const std::vector<size_t>& chosen, const std::vector<double>& ln) {
  std::vector<Sample> out;
  for (size_t i : chosen) {
    Sample s;
    s.x = pool.features[i];
    s.ln_loss = ln[i];
    s.line = pool.candidates.runs[i].line;
    out.push_back(s);
  }
  return out;
}

// A fit whose answer at the target is finite and has an optimum (the target without fallback).
bool usable(const StudyPool& pool, const std::vector<double>& params) {
  Target strict = pool.target;
  strict.fallback_tokens_per_param = 0;
  try {
    for (const auto& [name, v] : pool.law->coefficients(params.data()))
      if (!std::isfinite(v)) return false;
    target_scaled(*pool.law, params, strict);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

// The multi-start fit; where it lands in a degenerate corner (the joint law's 11 parameters on few
// runs can reach a = ∞ with α ≈ −600), one L-BFGS run from the study's earlier fit instead, as a
// researcher would refit from the last good coefficients.
std::vector<double> study_fit(const StudyPool& pool, const std::vector<Sample>& samples, const FitOptions& options,
                              const std::vector<double>* warm) {
  auto p = fit_for_advice(*pool.law, samples, options, "the study");
  if (usable(pool, p) || !warm || !usable(pool, *warm)) return p;
  auto q = fit_from(*pool.law, samples, *warm, options).params;
  return usable(pool, q) ? q : p;
}

// The linearised width of a design at the true coefficients, σ = the pool's noise estimate from
// the design's own residuals at the truth.
double width_at_truth(const StudyPool& pool, const std::vector<size_t>& chosen, const std::vector<double>& ln,
                      const FitOptions& options) {
  if (pool.truth.empty()) return NAN;
  try {
    return TargetLinearisation(*pool.law, pool.truth, samples_of(pool, chosen, ln), options.huber_delta, pool.target)
        .interval()
        .width();
  } catch (const std::runtime_error&) {
    return NAN;
  }
}

double study_error(const StudyPool& pool, const std::vector<size_t>& chosen, const std::vector<double>& ln,
                   const FitOptions& options, uint64_t seed, const std::vector<double>* warm) {
  return pool.error(study_fit(pool, samples_of(pool, chosen, ln), options, warm), seed);
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

StudyOutcome run_study(const StudyPool& pool, const StudyOptions& opt, uint64_t seed) {
  const LawSpec& law = *pool.law;
  FitOptions fit = opt.fit;
  if (fit.huber_delta < 0) fit.huber_delta = law.default_huber_delta();
  const auto& cands = pool.candidates.runs;
  const std::vector<double> ln = pool.observe(seed);
  std::vector<bool> initial(cands.size(), false);
  TrunkProgress start;
  for (size_t i : pool.initial) initial[i] = true, record_trained(cands[i], start);
  std::vector<size_t> rest;
  for (size_t i = 0; i < cands.size(); ++i)
    if (!initial[i]) rest.push_back(i);

  StudyOutcome o;
  const std::vector<double> initial_fit = study_fit(pool, samples_of(pool, pool.initial, ln), fit, nullptr);
  const std::vector<double>* warm = usable(pool, initial_fit) ? &initial_fit : nullptr;
  o.error_initial = pool.error(initial_fit, seed);
  // The whole pool, cooldowns in order of length so that each trunk is paid once.
  {
    TrunkProgress p = start;
    std::vector<size_t> order = rest;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cands[a].tokens < cands[b].tokens; });
    for (size_t i : order) o.flops_full += candidate_flops(cands[i], p), record_trained(cands[i], p);
    std::vector<size_t> all = pool.initial;
    all.insert(all.end(), rest.begin(), rest.end());
    o.error_full = study_error(pool, all, ln, fit, seed, warm);
    o.width_full = width_at_truth(pool, all, ln, fit);
    o.runs_full = rest.size();
  }
  const double budget = opt.budget_fraction * o.flops_full;

  // The advisor, in rounds: each round advises on what is left of an equal share of the budget.
  {
    std::vector<size_t> trained = pool.initial;
    TrunkProgress p = start;
    double spent = 0;
    std::vector<double> last = initial_fit;
    for (int round = 1; round <= opt.rounds; ++round) {
      std::vector<size_t> open;  // candidates not trained yet
      std::vector<bool> done(cands.size(), false);
      for (size_t i : trained) done[i] = true;
      for (size_t i = 0; i < cands.size(); ++i)
        if (!done[i]) open.push_back(i);
      std::vector<Candidate> cs;
      std::vector<std::array<double, 3>> xs;
      for (size_t i : open) cs.push_back(cands[i]), xs.push_back(pool.features[i]);
      const double share = budget * round / opt.rounds - spent;
      double cheapest = INFINITY;
      for (const auto& c : cs) cheapest = std::min(cheapest, candidate_flops(c, p));
      if (cs.empty() || cheapest > share) continue;
      std::vector<Sample> seen = samples_of(pool, trained, ln);
      auto params = study_fit(pool, seen, fit, usable(pool, last) ? &last : nullptr);
      last = params;
      Selection s;
      try {
        if (opt.oracle && !pool.truth.empty()) {
          params = pool.truth;
          for (Sample& x : seen) x.ln_loss = law.predict_ln(params.data(), x.x.data());
        }
        TargetLinearisation lin(law, params, seen, fit.huber_delta, pool.target);
        s = select_runs(lin, cs, xs, p, share, opt.select);
      } catch (const std::runtime_error& e) {
        if (std::getenv("MOELAW_ADVISE_DEBUG")) {
          std::fprintf(stderr, "round %d: no advice (%s); coefficients", round, e.what());
          for (auto& [k, v] : law.coefficients(params.data())) std::fprintf(stderr, " %s=%g", k.c_str(), v);
          std::fprintf(stderr, "\n");
        }
        continue;  // this fit has no optimum at the target: its share waits for the next round
      }
      if (std::getenv("MOELAW_ADVISE_DEBUG")) {
        std::fprintf(stderr, "round %d: share %.3g, interval %.4g -> %.4g, error now %.4g\n", round, share,
                     s.before.width(), s.after.width(), pool.error(params, seed));
        for (const AdvisedRun& a : s.runs) std::fprintf(stderr, "   %s %.3g %.4g\n", a.run_id.c_str(), a.flops, a.interval);
      }
      for (const AdvisedRun& a : s.runs) {
        trained.push_back(open[a.index]);
        record_trained(cands[open[a.index]], p);
      }
      spent += s.flops;
    }
    o.flops_advisor = spent;
    o.runs_advisor = trained.size() - pool.initial.size();
    o.error_advisor = study_error(pool, trained, ln, fit, seed, warm);
    o.width_advisor = width_at_truth(pool, trained, ln, fit);
    if (!pool.truth.empty()) {
      try {
        TargetLinearisation at(law, pool.truth, samples_of(pool, pool.initial, ln), fit.huber_delta, pool.target);
        std::vector<Candidate> cs;
        std::vector<Eigen::VectorXd> rows;
        for (size_t i : rest) cs.push_back(cands[i]), rows.push_back(at.jacobian_row(pool.features[i]));
        const double bound = weighted_variance(at, rows, relaxed_weights(at, cs, rows, start, budget, 1000));
        for (size_t k = pool.initial.size(); k < trained.size(); ++k) at.add(at.jacobian_row(pool.features[trained[k]]));
        o.width_bound = o.width_advisor * std::sqrt(bound / at.variance());
      } catch (const std::runtime_error&) {
      }
    }
  }
  // Random choice at the same FLOPs: a shuffled pool, each run taken while it still fits.
  {
    std::mt19937_64 rng(seed * 7919 + 17);
    std::vector<size_t> order = rest;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<size_t> trained = pool.initial;
    TrunkProgress p = start;
    for (size_t i : order) {
      double cost = candidate_flops(cands[i], p);
      if (o.flops_random + cost > o.flops_advisor) continue;
      o.flops_random += cost, record_trained(cands[i], p), trained.push_back(i);
    }
    o.runs_random = trained.size() - pool.initial.size();
    o.error_random = study_error(pool, trained, ln, fit, seed, warm);
    o.width_random = width_at_truth(pool, trained, ln, fit);
  }
  return o;
}

StudyPool known_law_pool(const LawSpec& law, const std::vector<double>& truth, const std::vector<double>& widths,
                         const std::vector<double>& experts, const std::vector<double>& ratios, double noise,
                         Target target, size_t initial_widths, size_t initial_ratios) {
  RunsTable t;
  t.source = "simulated pool";
  t.columns = {"run_id", "n_act", "n_total", "tokens", "experts", "top_k", "init_from", "d_model", "n_blocks"};
  std::vector<size_t> initial;
  double largest = 0;
  for (size_t w = 0; w < widths.size(); ++w)
    for (double e : experts) {
      ModelShape m = model_shape(widths[w], e);
      char trunk[64];
      std::snprintf(trunk, sizeof trunk, "d%g-e%g", widths[w], e);
      for (size_t k = 0; k < ratios.size(); ++k) {
        const double tokens = std::round(ratios[k] * m.n_act);
        if (w < initial_widths && k < initial_ratios) initial.push_back(t.rows.size());
        t.rows.push_back({std::string(trunk) + "-D" + std::to_string(k), std::to_string(m.n_act),
                          std::to_string(m.n_total), std::to_string(tokens), std::to_string(e), "1", trunk,
                          std::to_string(widths[w]), std::to_string(m.n_blocks)});
        t.lines.push_back(static_cast<long>(t.rows.size() + 1));
        largest = std::max(largest, 6 * m.n_act * tokens);
      }
    }
  StudyPool pool;
  pool.law = &law;
  pool.candidates = candidates_from_table(std::move(t));
  for (size_t i = 0; i < pool.candidates.runs.size(); ++i) pool.features.push_back(law.features(pool.candidates.table, i));
  pool.initial = initial;
  if (!(target.compute > 0)) target.compute = 100 * largest;
  pool.truth = truth;
  pool.target = target;
  pool.target.fallback_tokens_per_param = 20;  // advising goes on from a fit without an optimum
  const auto features = pool.features;
  pool.observe = [&law, truth, features, noise](uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> gauss(0.0, noise);
    std::vector<double> ln;
    for (const auto& x : features) ln.push_back(law.predict_ln(truth.data(), x.data()) + gauss(rng));
    return ln;
  };
  const double want = target_scaled(law, truth, target);
  pool.error = [&law, target, want](const std::vector<double>& params, uint64_t) {
    try {
      return std::abs(target_scaled(law, params, target) - want) / std::abs(want);
    } catch (const std::exception&) {
      return 1.0;  // a fit without an optimum: as wrong as it gets
    }
  };
  return pool;
}

}  // namespace moelaw::analysis
