// The advisor's parts against independent references: the linearised interval of the compute-
// optimal loss against the bootstrap's on synthetic runs, the rank-one update against a
// linearisation rebuilt with the run added, candidate FLOPs with checkpoint reuse against the
// planner's total, the budget and determinism of the choice, the grid it writes against the
// planner, and a small simulated study where it must beat random choice.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>

#include <unistd.h>

#include "analysis/advise_grid.hpp"
#include "analysis/advise_study.hpp"
#include "analysis/synthetic.hpp"
#include "common/errors.hpp"
#include "launcher/experiment.hpp"
#include "launcher/plan.hpp"

BOOST_AUTO_TEST_SUITE(test_advise)

using namespace moelaw::analysis;

namespace {

const LawSpec& chinchilla() { return law_spec("chinchilla"); }

std::vector<double> hoffmann() {
  return chinchilla().from_coefficients({{"A", 406.4}, {"B", 410.7}, {"E", 1.69}, {"alpha", 0.34}, {"beta", 0.28}});
}

StudyPool small_pool() {
  return known_law_pool(chinchilla(), hoffmann(), {256, 384, 512, 640, 768, 896, 1024}, {1}, {2, 4, 8, 16, 32, 64},
                        0.005, {Quantity::loss, 0, 1}, 3, 3);
}

// Every run of the pool with its simulated loss: a well-posed design (7 widths × 6 lengths).
std::vector<Sample> pool_runs(const StudyPool& pool, uint64_t seed) {
  auto ln = pool.observe(seed);
  std::vector<Sample> out;
  for (size_t i = 0; i < ln.size(); ++i) {
    Sample s;
    s.x = pool.features[i], s.ln_loss = ln[i];
    out.push_back(s);
  }
  return out;
}

FitOptions options() {
  FitOptions o;
  o.huber_delta = chinchilla().default_huber_delta();
  o.threads = 2;
  return o;
}

}  // namespace

// The reference for the fit's own spread: refits on independent noise draws of the same design.
// (At the default δ = 1e-3, close to L1, the bootstrap is far too wide: 0.24 against 0.15 here.)
BOOST_AUTO_TEST_CASE(linearised_interval_matches_independent_noise_draws) {
  const LawSpec& law = chinchilla();
  Target target{Quantity::loss, 1e24, 1};
  std::vector<double> values;
  double width = 0;
  const int draws = 24;
  for (int seed = 1; seed <= draws; ++seed) {
    auto runs = pool_runs(small_pool(), seed);
    auto best = fit_multistart(law, runs, InitGrid(law), options()).params;
    values.push_back(target_scaled(law, best, target));
    width += TargetLinearisation(law, best, runs, 1e-3, target).interval().width() / draws;
  }
  double mean = 0, var = 0;
  for (double v : values) mean += v / draws;
  for (double v : values) var += (v - mean) * (v - mean) / (draws - 1);
  const double spread = 2 * 1.2815515655446004 * std::sqrt(var);  // p10..p90 of a normal
  BOOST_TEST_MESSAGE("linearised width " << width << ", spread over noise draws " << spread);
  BOOST_TEST(width > 0.75 * spread);
  BOOST_TEST(width < 1.33 * spread);
}

// Least squares (δ large): the linearisation is the bootstrap's normal approximation.
BOOST_AUTO_TEST_CASE(linearised_interval_matches_the_least_squares_bootstrap) {
  const LawSpec& law = chinchilla();
  std::vector<Sample> runs = pool_runs(small_pool(), 3);
  FitOptions o = options();
  o.huber_delta = 1.0;
  auto best = fit_multistart(law, runs, InitGrid(law), o).params;
  Target target{Quantity::loss, 1e24, 1};
  TargetLinearisation lin(law, best, runs, o.huber_delta, target);
  TargetInterval boot = bootstrap_target(law, runs, best, target, 200, o, 5);
  BOOST_TEST_MESSAGE("linearised width " << lin.interval().width() << ", bootstrap " << boot.width());
  BOOST_TEST(lin.interval().width() > 0.7 * boot.width());
  BOOST_TEST(lin.interval().width() < 1.3 * boot.width());
  BOOST_TEST(lin.interval().value == boot.value);
}

BOOST_AUTO_TEST_CASE(rank_one_update_equals_the_rebuilt_linearisation) {
  const LawSpec& law = chinchilla();
  auto truth = hoffmann();
  std::vector<Sample> runs = pool_runs(small_pool(), 9);
  runs.resize(24);  // the four narrowest models
  auto best = fit_multistart(law, runs, InitGrid(law), options()).params;
  Target target{Quantity::n, 1e23, 1};
  TargetLinearisation lin(law, best, runs, 1e-3, target);
  Sample extra;
  extra.x = {std::log(3e9), std::log(6e10), 0};
  extra.ln_loss = law.predict_ln(best.data(), extra.x.data());  // the pseudo-observation
  const double predicted = lin.variance_after(lin.jacobian_row(extra.x)) / lin.scale2();
  lin.add(lin.jacobian_row(extra.x));
  BOOST_TEST(lin.variance() / lin.scale2() == predicted, boost::test_tools::tolerance(1e-9));
  auto grown = runs;
  grown.push_back(extra);
  TargetLinearisation rebuilt(law, best, grown, 1e-3, target);
  // (the ridge scales with the trace, which the added run changes a little)
  BOOST_TEST(rebuilt.variance() / rebuilt.scale2() == predicted, boost::test_tools::tolerance(1e-3));
  BOOST_TEST(predicted < TargetLinearisation(law, best, runs, 1e-3, target).variance() / lin.scale2());
}

BOOST_AUTO_TEST_CASE(grid_candidates_cost_what_the_planner_trains) {
  const std::string grid = std::string(MOELAW_SOURCE_DIR) + "/experiments/smoke/grid.toml";
  CandidateSet set = read_candidates(grid);
  auto plan = moelaw::launcher::make_plan(moelaw::launcher::load_experiment(grid));
  BOOST_TEST(set.runs.size() == 9u);
  TrunkProgress progress;
  double total = 0;
  for (const Candidate& c : set.runs) total += candidate_flops(c, progress), record_trained(c, progress);
  BOOST_TEST(total == plan.flops_with_reuse, boost::test_tools::tolerance(1e-12));
  // Alone, a cooldown pays its whole trunk: 6·N_act·D.
  BOOST_TEST(candidate_flops(set.runs[2], {}) == 6 * set.runs[2].n_act * set.runs[2].tokens,
             boost::test_tools::tolerance(1e-12));
}

// The runs table `collect` writes names a cooldown's start as the trunk's pinned checkpoint; the
// smoke grid's planner says where each branch point is.
BOOST_AUTO_TEST_CASE(trunk_progress_reads_collected_pin_checkpoints) {
  const std::string grid = std::string(MOELAW_SOURCE_DIR) + "/experiments/smoke/grid.toml";
  auto plan = moelaw::launcher::make_plan(moelaw::launcher::load_experiment(grid));
  const moelaw::launcher::PlannedRun* longest = nullptr;
  for (const auto& r : plan.runs)
    if (r.role == "cooldown" && r.model == "dense-d64-b1" && (!longest || r.target_tokens > longest->target_tokens))
      longest = &r;
  BOOST_REQUIRE(longest);
  RunsTable finished;
  finished.source = "runs.csv";
  finished.columns = {"run_id", "tokens", "init_from"};
  char pin[64];
  std::snprintf(pin, sizeof pin, "pin-tokens-%012lld.h5", static_cast<long long>(longest->start_tokens));
  finished.rows = {{longest->name, std::to_string(longest->target_tokens),
                    "/x/exp/runs/" + longest->init_from + "/checkpoints/" + pin}};
  finished.lines = {2};
  TrunkProgress p = trunk_progress(finished);
  BOOST_REQUIRE(p.count(longest->init_from) == 1u);
  BOOST_TEST(p[longest->init_from] == double(longest->start_tokens));
  // Each shorter sibling now costs what the planner charges its cooldown alone.
  CandidateSet set = read_candidates(grid);
  for (const Candidate& c : set.runs)
    for (const auto& r : plan.runs)
      if (r.name == c.run_id && c.trunk == longest->init_from)
        BOOST_TEST(candidate_flops(c, p) == r.flops, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(selection_fits_the_budget_and_is_deterministic) {
  StudyPool pool = small_pool();
  auto ln = pool.observe(4);
  std::vector<Sample> seen;
  TrunkProgress progress;
  for (size_t i : pool.initial) {
    Sample s;
    s.x = pool.features[i], s.ln_loss = ln[i];
    seen.push_back(s);
    record_trained(pool.candidates.runs[i], progress);
  }
  auto best = fit_for_advice(chinchilla(), seen, options(), "test");
  auto choose = [&](double budget) {
    TargetLinearisation lin(chinchilla(), best, seen, 1e-3, pool.target);
    return select_runs(lin, pool.candidates.runs, pool.features, progress, budget);
  };
  const double budget = 5e17;
  Selection a = choose(budget), b = choose(budget);
  BOOST_REQUIRE(!a.runs.empty());
  BOOST_TEST(a.flops <= budget);
  // FLOPs recounted from scratch, in the order chosen, with the trunks the earlier choices trained.
  TrunkProgress p = progress;
  double recount = 0;
  for (const auto& r : a.runs) recount += candidate_flops(pool.candidates.runs[r.index], p),
                               record_trained(pool.candidates.runs[r.index], p);
  BOOST_TEST(recount == a.flops, boost::test_tools::tolerance(1e-12));
  BOOST_REQUIRE(a.runs.size() == b.runs.size());
  for (size_t i = 0; i < a.runs.size(); ++i) BOOST_TEST(a.runs[i].run_id == b.runs[i].run_id);
  BOOST_TEST(a.after.width() < a.before.width());
  for (size_t i = 1; i < a.runs.size(); ++i) BOOST_TEST(a.runs[i].interval <= a.runs[i - 1].interval);
  BOOST_CHECK_THROW(choose(1e3), moelaw::UsageError);  // below the cheapest run
}

BOOST_AUTO_TEST_CASE(advised_grid_plans_the_chosen_runs) {
  const std::string grid = std::string(MOELAW_SOURCE_DIR) + "/experiments/smoke/grid.toml";
  CandidateSet set = read_candidates(grid);
  Selection sel;
  sel.runs = {{1, set.runs[1].run_id, 0, 0}, {5, set.runs[5].run_id, 0, 0}};
  char dir[] = "/tmp/moelaw-advise-XXXXXX";
  const std::string out = std::string(mkdtemp(dir)) + "/advised.toml";
  std::ofstream(out) << advised_grid_toml(set, sel, "advised-test");
  auto exp = moelaw::launcher::load_experiment(out);
  auto plan = moelaw::launcher::make_plan(exp);
  std::remove(out.c_str());
  rmdir(dir);
  std::vector<std::string> cooldowns;
  for (const auto& r : plan.runs)
    if (r.role == "cooldown") cooldowns.push_back(r.name);
  BOOST_TEST(exp.name == "advised-test");
  BOOST_TEST(exp.run_settings.size() > 0u);  // the source grid's [run.*] settings kept
  BOOST_REQUIRE(cooldowns.size() == 2u);
  BOOST_TEST(cooldowns[0] == set.runs[1].run_id);
  BOOST_TEST(cooldowns[1] == set.runs[5].run_id);
}

BOOST_AUTO_TEST_CASE(advised_grid_keeps_only_the_chosen_seed_and_lr) {
  char dir[] = "/tmp/moelaw-advise-XXXXXX";
  const std::string base = mkdtemp(dir), grid = base + "/grid.toml", out = base + "/advised.toml";
  std::ofstream(grid) << "[experiment]\nname = \"two\"\n[[models]]\nname = \"m\"\nd_model = 64\nn_blocks = 1\n"
                         "tokens = [16384, 32768]\nlr = [0.003, 0.001]\nseeds = [1, 2]\n"
                         "[run.model]\nseq_len = 64\n[run.train]\nwarmup_tokens = 4096\nbatch_ramp_tokens = [0]\n"
                         "batch_ramp_sizes = [1024]\n";
  CandidateSet set = read_candidates(grid);
  BOOST_REQUIRE(set.runs.size() == 8u);  // 2 LRs × 2 seeds × 2 lengths
  size_t pick = set.runs.size();
  for (size_t i = 0; i < set.runs.size(); ++i)
    if (set.runs[i].seed == 2 && set.runs[i].lr == 0.001 && set.runs[i].tokens == 32768) pick = i;
  BOOST_REQUIRE(pick < set.runs.size());
  Selection sel;
  sel.runs = {{pick, set.runs[pick].run_id, 0, 0}};
  std::ofstream(out) << advised_grid_toml(set, sel, "advised");
  auto plan = moelaw::launcher::make_plan(moelaw::launcher::load_experiment(out));
  std::vector<std::string> cooldowns;
  for (const auto& r : plan.runs)
    if (r.role == "cooldown") cooldowns.push_back(r.name);
  BOOST_REQUIRE(cooldowns.size() == 1u);
  BOOST_TEST(cooldowns[0] == set.runs[pick].run_id);
  std::system(("rm -rf " + base).c_str());
}

// On its own objective, at the true coefficients: the interval after the advisor's runs is narrower
// than after any of 20 random choices of runs at the same FLOPs.
BOOST_AUTO_TEST_CASE(advisor_narrows_the_interval_more_than_random_choices) {
  StudyPool pool = small_pool();
  const auto truth = hoffmann();
  std::vector<Sample> seen;
  TrunkProgress start;
  for (size_t i : pool.initial) {
    Sample s;
    s.x = pool.features[i];
    s.ln_loss = chinchilla().predict_ln(truth.data(), s.x.data());
    seen.push_back(s);
    record_trained(pool.candidates.runs[i], start);
  }
  std::vector<Candidate> open;
  std::vector<std::array<double, 3>> xs;
  for (size_t i = 0; i < pool.candidates.runs.size(); ++i)
    if (std::find(pool.initial.begin(), pool.initial.end(), i) == pool.initial.end())
      open.push_back(pool.candidates.runs[i]), xs.push_back(pool.features[i]);
  TargetLinearisation lin(chinchilla(), truth, seen, 1e-3, pool.target);
  Selection chosen = select_runs(lin, open, xs, start, 2e18);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<size_t> order(open.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    TargetLinearisation random(chinchilla(), truth, seen, 1e-3, pool.target);
    TrunkProgress p = start;
    double spent = 0;
    for (size_t i : order) {
      double cost = candidate_flops(open[i], p);
      if (spent + cost > chosen.flops) continue;
      spent += cost, record_trained(open[i], p), random.add(random.jacobian_row(xs[i]));
    }
    BOOST_TEST(chosen.after.width() < random.interval().width());
  }
}

// A whole study in rounds: the advisor's third of the pool's FLOPs brings the answer's error down
// from the initial runs' to within a small factor of the whole pool's.
BOOST_AUTO_TEST_CASE(advisor_study_approaches_the_whole_pool) {
  StudyPool pool = small_pool();
  StudyOptions o;
  o.fit = options();
  std::vector<double> adv, full, initial;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    StudyOutcome r = run_study(pool, o, seed);
    BOOST_TEST(r.flops_advisor <= r.flops_full / 3 * (1 + 1e-12));
    BOOST_TEST(r.flops_random <= r.flops_advisor * (1 + 1e-12));
    adv.push_back(r.error_advisor), full.push_back(r.error_full), initial.push_back(r.error_initial);
  }
  BOOST_TEST_MESSAGE("median error: initial " << median(initial) << ", advisor " << median(adv) << ", pool "
                                              << median(full));
  BOOST_TEST(median(adv) < median(initial) / 5);
  BOOST_TEST(median(adv) < 3 * median(full));
}

BOOST_AUTO_TEST_SUITE_END()
