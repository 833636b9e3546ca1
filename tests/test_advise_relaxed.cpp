// The advisor's relaxed choice (analysis/relaxed_design.hpp) against brute force on a pool small
// enough to try every subset: the relaxation's variance is a lower bound on every design within
// budget, its rounded design is close to the best subset, and select_runs (greedy starts, the
// relaxed start, exchanges) is within a few percent of the best subset's interval. Also the
// held-out target (Target::points) against a rebuilt linearisation.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "analysis/advise_study.hpp"
#include "analysis/relaxed_design.hpp"

BOOST_AUTO_TEST_SUITE(test_advise_relaxed)

using namespace moelaw::analysis;

namespace {

const LawSpec& chinchilla() { return law_spec("chinchilla"); }

// 5 widths × 5 lengths, the 9 shortest-narrowest trained: 16 open candidates, 65536 subsets.
struct Small {
  StudyPool pool = known_law_pool(
      chinchilla(), chinchilla().from_coefficients({{"A", 406.4}, {"B", 410.7}, {"E", 1.69}, {"alpha", 0.34}, {"beta", 0.28}}),
      {256, 384, 512, 640, 768}, {1}, {2, 4, 8, 16, 32}, 0.005, {Quantity::loss, 0, 1}, 3, 3);
  std::vector<Sample> seen;
  TrunkProgress start;
  std::vector<Candidate> open;
  std::vector<std::array<double, 3>> xs;
  double open_flops = 0;
  Small() {
    const auto ln = pool.observe(3);
    for (size_t i = 0; i < pool.candidates.runs.size(); ++i) {
      if (std::find(pool.initial.begin(), pool.initial.end(), i) != pool.initial.end()) {
        Sample s;
        s.x = pool.features[i], s.ln_loss = ln[i];
        seen.push_back(s);
        record_trained(pool.candidates.runs[i], start);
      } else {
        open.push_back(pool.candidates.runs[i]), xs.push_back(pool.features[i]);
      }
    }
    open_flops = subset_flops((1u << open.size()) - 1);
  }
  TargetLinearisation lin() const { return TargetLinearisation(chinchilla(), pool.truth, seen, 1e-3, pool.target); }
  // Trained shortest first, as the planner pays trunks.
  double subset_flops(unsigned mask) const {
    std::vector<size_t> set;
    for (size_t i = 0; i < open.size(); ++i)
      if (mask >> i & 1) set.push_back(i);
    std::stable_sort(set.begin(), set.end(), [&](size_t a, size_t b) { return open[a].tokens < open[b].tokens; });
    TrunkProgress p = start;
    double total = 0;
    for (size_t i : set) total += candidate_flops(open[i], p), record_trained(open[i], p);
    return total;
  }
  // The least variance of any subset within budget, by trying them all.
  double brute_force(double budget) const {
    const TargetLinearisation base = lin();
    std::vector<Eigen::VectorXd> rows;
    for (const auto& x : xs) rows.push_back(base.jacobian_row(x));
    double best = base.variance();
    for (unsigned mask = 1; mask < (1u << open.size()); ++mask) {
      if (!(subset_flops(mask) <= budget)) continue;
      TargetLinearisation l = base;
      for (size_t i = 0; i < open.size(); ++i)
        if (mask >> i & 1) l.add(rows[i]);
      best = std::min(best, l.variance());
    }
    return best;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(weighted_variance_at_whole_weights_is_the_rank_one_update) {
  Small s;
  TargetLinearisation l = s.lin();
  std::vector<Eigen::VectorXd> rows;
  for (const auto& x : s.xs) rows.push_back(l.jacobian_row(x));
  std::vector<double> w(rows.size(), 0.0);
  w[2] = w[7] = w[11] = 1;
  const double relaxed = weighted_variance(l, rows, w);
  l.add(rows[2]), l.add(rows[7]), l.add(rows[11]);
  BOOST_TEST(relaxed == l.variance(), boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(relaxation_bounds_and_rounds_close_to_the_best_subset) {
  Small s;
  for (double fraction : {0.1, 1.0 / 3}) {
    const double budget = fraction * s.open_flops;
    const double best = s.brute_force(budget);
    TargetLinearisation l = s.lin();
    std::vector<Eigen::VectorXd> rows;
    for (const auto& x : s.xs) rows.push_back(l.jacobian_row(x));
    const auto w = relaxed_weights(l, s.open, rows, s.start, budget);
    const double relaxed = weighted_variance(l, rows, w);
    const auto rounded = round_weights(w, s.open, s.start, budget);
    unsigned mask = 0;
    for (size_t i : rounded) mask |= 1u << i;
    BOOST_TEST(s.subset_flops(mask) <= budget);
    TargetLinearisation r = l;
    for (size_t i : rounded) r.add(rows[i]);
    Selection chosen = select_runs(l, s.open, s.xs, s.start, budget);
    TargetLinearisation g = s.lin();
    SelectOptions greedy_only;
    greedy_only.relaxation = false;
    select_runs(g, s.open, s.xs, s.start, budget, greedy_only);
    const double width_best = std::sqrt(best), width_chosen = std::sqrt(l.variance());
    BOOST_TEST_MESSAGE("budget " << fraction << ": widths relative to the best subset: relaxation "
                                 << std::sqrt(relaxed / best) << ", rounded " << std::sqrt(r.variance() / best)
                                 << ", select_runs " << width_chosen / width_best
                                 << " (greedy starts only " << std::sqrt(g.variance() / best) << ")");
    BOOST_TEST(relaxed <= best * (1 + 1e-3));  // a lower bound, up to Frank–Wolfe's tolerance
    BOOST_TEST(relaxed > 0.5 * best);          // and not a vacuous one
    BOOST_TEST(std::sqrt(r.variance()) <= 1.10 * width_best);
    BOOST_TEST(width_chosen <= 1.05 * width_best);
    BOOST_TEST(chosen.flops <= budget);
  }
}

// The held-out target (Target::points): a run added by the rank-one update narrows it as much as
// a linearisation rebuilt with that run (at its predicted loss) says, and two points' variance is
// the mean of each one's.
BOOST_AUTO_TEST_CASE(held_out_points_target_updates_like_a_rebuilt_linearisation) {
  Small s;
  Target both{Quantity::loss, 0, 1}, first{Quantity::loss, 0, 1}, second{Quantity::loss, 0, 1};
  const std::array<double, 3> far1{std::log(5e9), std::log(1e11), 0}, far2{std::log(2e10), std::log(4e11), 0};
  both.points = {far1, far2}, first.points = {far1}, second.points = {far2};
  auto lin = [&](const Target& t, const std::vector<Sample>& runs) {
    return TargetLinearisation(chinchilla(), s.pool.truth, runs, 1e-3, t);
  };
  // A well-posed base: the trained runs and all open ones but the last (at their true losses).
  std::vector<Sample> base = s.seen;
  auto run = [&](size_t i) {
    Sample x;
    x.x = s.xs[i];
    x.ln_loss = chinchilla().predict_ln(s.pool.truth.data(), x.x.data());
    return x;
  };
  for (size_t i = 0; i + 1 < s.xs.size(); ++i) base.push_back(run(i));
  const double v1 = lin(first, base).variance(), v2 = lin(second, base).variance();
  BOOST_TEST(lin(both, base).variance() == (v1 + v2) / 2, boost::test_tools::tolerance(1e-9));
  TargetLinearisation l = lin(both, base);
  const double predicted = l.variance_after(l.jacobian_row(s.xs.back()));
  std::vector<Sample> grown = base;
  grown.push_back(run(s.xs.size() - 1));
  // Compared at the same s² (the rebuilt one re-estimates σ); the ridge scales with the trace,
  // which the added run changes a little.
  const TargetLinearisation rebuilt = lin(both, grown);
  BOOST_TEST(predicted < l.variance());
  BOOST_TEST(predicted / l.scale2() == rebuilt.variance() / rebuilt.scale2(), boost::test_tools::tolerance(1e-3));
}

BOOST_AUTO_TEST_SUITE_END()
