// The advisor judged on studies (analysis/advise_study.hpp): simulated from a known law (chinchilla
// and joint, 0.5% noise) and on the Chinchilla replication table as a pool (loss revealed only when
// chosen, the largest-compute runs held out). Per study: the median over seeds of the error of the
// final fit's answer for the advisor (a third of the pool's FLOPs, in rounds), random choice of
// runs at the same FLOPs, and the whole pool; and their ratios.
//   bench_advise [chinchilla|joint|table|table_optimum|all] [SEEDS] [ROUNDS] [BUDGET_FRACTION] [RELAX] [ORACLE]   (all, 20, 3, 1/3, 1, 0)
// RELAX 0: the greedy starts only, without the relaxed design (relaxed_design.hpp), to compare.
// ORACLE 1: advise from the true coefficients (the choice without the early fits' luck).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "analysis/advise_study.hpp"

using namespace moelaw::analysis;

namespace {

void report(const char* name, const StudyPool& pool, const StudyOptions& options, int seeds) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<double> adv, rnd, full, init, f_adv, f_rnd, f_full, w_adv, w_rnd, w_full, w_bound;
  for (int s = 1; s <= seeds; ++s) {
    StudyOutcome o = run_study(pool, options, static_cast<uint64_t>(s));
    adv.push_back(o.error_advisor), rnd.push_back(o.error_random), full.push_back(o.error_full);
    init.push_back(o.error_initial);
    w_adv.push_back(o.width_advisor), w_rnd.push_back(o.width_random), w_full.push_back(o.width_full);
    w_bound.push_back(o.width_bound);
    f_adv.push_back(o.flops_advisor / o.flops_full), f_rnd.push_back(o.flops_random / o.flops_full);
    if (s == 1)
      std::printf("%s: %zu candidates, %zu initial, seed 1 chose %zu runs (random %zu, pool %zu)\n", name,
                  pool.candidates.runs.size(), pool.initial.size(), o.runs_advisor, o.runs_random, o.runs_full);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  median error over %d seeds: initial %.3g, advisor %.3g, random %.3g, full pool %.3g\n", seeds,
              median(init), median(adv), median(rnd), median(full));
  std::printf("  FLOPs as a fraction of the pool's: advisor %.3f, random %.3f\n", median(f_adv), median(f_rnd));
  std::printf("  ratios: advisor/random %.3f, advisor/full %.3f  (%.1f s)\n", median(adv) / median(rnd),
              median(adv) / median(full), seconds);
  if (std::isfinite(median(w_adv)))
    std::printf("  linearised 80%% width at the true law: advisor %.3g, random %.3g, full pool %.3g"
                " (advisor/random %.3f, full/random %.3f)\n",
                median(w_adv), median(w_rnd), median(w_full), median(w_adv) / median(w_rnd),
                median(w_full) / median(w_rnd));
  if (std::isfinite(median(w_bound)))
    std::printf("  least width any design within the budget has there (relaxation): %.3g (bound/random %.3f)\n",
                median(w_bound), median(w_bound) / median(w_rnd));
  std::vector<double> per_seed;
  for (size_t i = 0; i < adv.size(); ++i) per_seed.push_back(adv[i] / rnd[i]);
  std::printf("  median of per-seed advisor/random %.3f\n", median(per_seed));
}

// held_out_target: the advisor narrows what the study scores, ln L̂ of the held-out runs (mean
// variance over them); otherwise the compute-optimal loss at their median compute (as `advise`).
StudyPool chinchilla_table_pool(const std::string& path, bool held_out_target) {
  const LawSpec& law = law_spec("chinchilla");
  RunsTable raw = read_runs_csv(path);
  auto n = raw.numbers("Model Size"), flops = raw.numbers("Training FLOP"), loss = raw.numbers("loss");
  // The replication's recipe drops the five highest losses.
  std::vector<size_t> order(n.size());
  for (size_t i = 0; i < n.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return loss[a] < loss[b]; });
  order.resize(order.size() - 5);
  std::sort(order.begin(), order.end());
  RunsTable t;
  t.source = path;
  t.columns = {"run_id", "n_act", "tokens", "flops"};
  std::vector<double> ln, held_x0, held_x1, held_ln;
  double held_compute = 0;
  std::vector<double> held_c;
  for (size_t i : order) {
    const double d = flops[i] / (6 * n[i]);
    if (flops[i] >= 1e21) {  // held out: the target
      held_x0.push_back(std::log(n[i])), held_x1.push_back(std::log(d)), held_ln.push_back(std::log(loss[i]));
      held_c.push_back(flops[i]);
      continue;
    }
    t.rows.push_back({"row" + std::to_string(i + 2), std::to_string(n[i]), std::to_string(d), std::to_string(flops[i])});
    t.lines.push_back(static_cast<long>(i + 2));
    ln.push_back(std::log(loss[i]));
  }
  held_compute = median(held_c);
  StudyPool pool;
  pool.law = &law;
  pool.candidates = candidates_from_table(std::move(t));
  for (size_t i = 0; i < pool.candidates.runs.size(); ++i) {
    pool.features.push_back(law.features(pool.candidates.table, i));
    if (pool.candidates.runs[i].fixed_flops <= 1.5e19) pool.initial.push_back(i);
  }
  pool.target = {Quantity::loss, held_compute, 1, 20};
  if (held_out_target)
    for (size_t i = 0; i < held_ln.size(); ++i) pool.target.points.push_back({held_x0[i], held_x1[i], 0});
  pool.observe = [ln](uint64_t) { return ln; };
  pool.error = [&law, held_x0, held_x1, held_ln](const std::vector<double>& p, uint64_t) {
    double ss = 0;  // RMSE of ln L over the held-out runs
    for (size_t i = 0; i < held_ln.size(); ++i) {
      double x[3] = {held_x0[i], held_x1[i], 0};
      double r = law.predict_ln(p.data(), x) - held_ln[i];
      ss += r * r;
    }
    return std::sqrt(ss / held_ln.size());
  };
  std::printf("table pool: %zu runs held out (C >= 1e21, median %.3g FLOPs); the advisor's target: %s\n",
              held_ln.size(), held_compute,
              held_out_target ? "ln L of the held-out runs" : "the compute-optimal loss at that median");
  return pool;
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = argc > 1 ? argv[1] : "all";
  int seeds = argc > 2 ? std::atoi(argv[2]) : 20;
  StudyOptions options;
  if (argc > 3) options.rounds = std::atoi(argv[3]);
  if (argc > 4) options.budget_fraction = std::atof(argv[4]);
  if (argc > 5) options.select.relaxation = std::atoi(argv[5]) != 0;
  if (argc > 6) options.oracle = std::atoi(argv[6]) != 0;
  options.fit.threads = 2;
  options.fit.huber_delta = -1;
  const std::vector<double> widths = {256, 384, 512, 640, 768, 896, 1024, 1152, 1280, 1408, 1536};
  if (which == "all" || which == "chinchilla") {
    const LawSpec& law = law_spec("chinchilla");
    auto truth = law.from_coefficients({{"A", 406.4}, {"B", 410.7}, {"E", 1.69}, {"alpha", 0.34}, {"beta", 0.28}});
    StudyPool pool = known_law_pool(law, truth, widths, {1}, {2, 4, 8, 16, 32, 64}, 0.005, {Quantity::loss, 0, 1}, 3, 3);
    report("chinchilla (Hoffmann et al.'s coefficients)", pool, options, seeds);
  }
  if (which == "all" || which == "joint") {
    const LawSpec& law = law_spec("joint");
    auto truth = law.from_coefficients({{"a", 35.91}, {"alpha", -0.1889}, {"delta", -0.2285}, {"gamma", 0.0098},
                                        {"b", 35.98}, {"beta", -0.1775}, {"omega", 0.5529}, {"zeta", -0.0259},
                                        {"e_start", 2.0732}, {"e_max", 290.4521}, {"c", 1.3637}});
    StudyPool pool = known_law_pool(law, truth, {256, 384, 512, 640, 768, 896}, {1, 4, 16}, {4, 8, 16, 32},
                                    0.005, {Quantity::loss, 0, 8}, 6, 2);
    report("joint (Ludziejewski et al.'s coefficients, target E = 8)", pool, options, seeds);
  }
  if (which == "all" || which == "table" || which == "table_optimum") {
    StudyPool pool = chinchilla_table_pool(std::string(MOELAW_SOURCE_DIR_FOR_BENCH) +
                                               "/../shared/data/chinchilla/svg_extracted_data.csv",
                                           which != "table_optimum");
    report("chinchilla table as a pool (error: RMSE of ln L on the held-out runs)", pool, options, seeds);
  }
  return 0;
}
