#include "analysis/advise_study.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>

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

double study_error(const StudyPool& pool, const std::vector<size_t>& chosen, const std::vector<double>& ln,
                   const FitOptions& options, uint64_t seed) {
  auto params = fit_for_advice(*pool.law, samples_of(pool, chosen, ln), options, "the study");
  return pool.error(params, seed);
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
  // The whole pool, cooldowns in order of length so that each trunk is paid once.
  {
    TrunkProgress p = start;
    std::vector<size_t> order = rest;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cands[a].tokens < cands[b].tokens; });
    for (size_t i : order) o.flops_full += candidate_flops(cands[i], p), record_trained(cands[i], p);
    std::vector<size_t> all = pool.initial;
    all.insert(all.end(), rest.begin(), rest.end());
    o.error_full = study_error(pool, all, ln, fit, seed);
    o.runs_full = rest.size();
  }
  o.error_initial = study_error(pool, pool.initial, ln, fit, seed);
  const double budget = opt.budget_fraction * o.flops_full;

  // The advisor, in rounds: each round advises on what is left of an equal share of the budget.
  {
    std::vector<size_t> trained = pool.initial;
    TrunkProgress p = start;
    double spent = 0;
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
      auto params = fit_for_advice(law, seen, fit, "the study");
      Selection s;
      try {
        TargetLinearisation lin(law, params, seen, fit.huber_delta, pool.target);
        s = select_runs(lin, cs, xs, p, share, opt.select);
      } catch (const std::runtime_error&) {
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
    o.error_advisor = study_error(pool, trained, ln, fit, seed);
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
    o.error_random = study_error(pool, trained, ln, fit, seed);
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
  pool.target = target;
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
