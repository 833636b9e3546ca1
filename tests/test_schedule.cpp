// The schedule of DESIGN.md, checked at hand-computed points.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "model/param_count.hpp"
#include "train/schedule.hpp"

BOOST_AUTO_TEST_SUITE(test_schedule)

using moelaw::train::Schedule;

namespace {
Schedule design_schedule(int64_t tokens, double decay = 0.2) {
  return Schedule{1e-3, tokens, 130'000'000, decay, {0, 500'000'000, 1'000'000'000},
                  {65536, 131072, 262144}, 1024};
}
}  // namespace

BOOST_AUTO_TEST_CASE(lr_law_matches_published_formula) {
  // ln LR = 8.39 - 0.81 ln(1e8) - 0.25 ln 8 = 8.39 - 14.9207... - 0.5198...
  double expected = std::exp(8.39 - 0.81 * 18.420680743952367 - 0.25 * 2.0794415416798357);
  BOOST_TEST(moelaw::model::lr_law(1e8, 8) == expected, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(moelaw::model::lr_law(1e8, 1) > moelaw::model::lr_law(1e8, 8));
}

BOOST_AUTO_TEST_CASE(batch_ramp) {
  auto s = design_schedule(2'000'000'000);
  BOOST_TEST(s.step_tokens(0) == 65536);
  BOOST_TEST(s.step_tokens(499'999'999) == 65536);
  BOOST_TEST(s.step_tokens(500'000'000) == 131072);
  BOOST_TEST(s.step_tokens(1'000'000'000) == 262144);
  // The last step is cut to the whole sequences that remain.
  BOOST_TEST(s.step_tokens(2'000'000'000 - 3000) == 3072);
  BOOST_TEST(s.step_tokens(2'000'000'000) == 0);
}

BOOST_AUTO_TEST_CASE(warmup_constant_decay) {
  auto s = design_schedule(1'000'000'000);
  BOOST_TEST(s.lr(0) == 1e-3 * 65536.0 / 130e6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.lr(65'000'000 - 65536) == 0.5e-3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.lr(130'000'000) == 1e-3);
  // Decay starts at the step boundary at or before 0.8 D: 7630 steps of 65536 reach 500,039,680
  // (the ramp switches to 131072 there), then 2288 steps of 131072 reach 799,932,416.
  BOOST_TEST(s.decay_start() == 799'932'416);
  BOOST_TEST(s.lr(799'932'416 - 131072) == 1e-3);
  BOOST_TEST(s.lr(799'932'416) == 1e-3);  // the first decay step starts at the full rate
  double half = (1e9 + 799'932'416) / 2;
  BOOST_TEST(s.lr(static_cast<int64_t>(half)) == 0.5e-3, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(s.lr(1'000'000'000) == 0.0);
}

BOOST_AUTO_TEST_CASE(step_grid) {
  auto s = design_schedule(2'000'000'000);
  BOOST_TEST(s.boundary_at_or_before(0) == 0);
  BOOST_TEST(s.boundary_at_or_before(65535) == 0);
  BOOST_TEST(s.boundary_at_or_before(65536) == 65536);
  BOOST_TEST(s.boundary_at_or_before(500'039'680) == 500'039'680);
  BOOST_TEST(s.boundary_at_or_before(500'039'679) == 500'039'680 - 65536);
  // Every boundary is reachable by stepping from 0 with step_tokens.
  int64_t t = 0;
  while (t < 1'200'000'000) {
    BOOST_TEST_REQUIRE(s.boundary_at_or_before(t) == t);
    BOOST_TEST_REQUIRE(s.boundary_at_or_before(t + s.step_tokens(t) - 1) == t);
    t += s.step_tokens(t);
  }
}

BOOST_AUTO_TEST_CASE(trunk_never_decays_and_branch_continues_it) {
  // A trunk to 0.8 D with no decay, and the run of length D branched from it at 0.8 D,
  // have the same LR wherever both are defined before the branch point.
  auto trunk = design_schedule(800'000'000, 0.0);
  auto branch = design_schedule(1'000'000'000);
  for (int64_t t : {0LL, 100'000'000LL, 400'000'000LL, 799'000'000LL})
    BOOST_TEST(trunk.lr(t) == branch.lr(t));
  BOOST_TEST(trunk.lr(799'000'000) == 1e-3);
  BOOST_TEST(branch.lr(branch.decay_start()) == 1e-3);
  BOOST_TEST(branch.lr(950'000'000) < 1e-3);
  BOOST_TEST(trunk.decay_start() == 800'000'000);  // no decay: the whole run
}

BOOST_AUTO_TEST_SUITE_END()
