// bootstrap_intervals on a law whose optimum is known in closed form: ln L̂ = c, fitted by least
// squares (a Huber δ far above every residual), is minimised by the mean of the resampled ln L.
// The test draws the same resamples itself (each refit's generator is seeded by its index, as
// bootstrap.hpp promises), takes their means and the 10th/90th percentiles by linear
// interpolation between order statistics, and compares; and the intervals do not depend on the
// thread count.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "analysis/bootstrap.hpp"
#include "analysis/objective.hpp"
#include "common/errors.hpp"

BOOST_AUTO_TEST_SUITE(test_bootstrap_intervals)

using namespace moelaw::analysis;

namespace {

struct Constant {
  static constexpr int kParams = 1;
  template <class T>
  T operator()(const T* p, const double*) const { return p[0]; }
};

class ConstantLaw : public LawSpec {
 public:
  std::string name() const override { return "constant"; }
  std::string n_column() const override { return "n_act"; }
  const std::vector<ParamSpec>& params() const override { return params_; }
  double default_huber_delta() const override { return 1e9; }
  double predict_ln(const double* p, const double*) const override { return p[0]; }
  std::unique_ptr<ceres::FirstOrderFunction> objective(const std::vector<Sample>& s, double delta) const override {
    return std::make_unique<HuberObjective<Constant>>(s, delta);
  }
  Coefficients coefficients(const double* p) const override { return {{"c", p[0]}}; }
  std::vector<double> from_coefficients(const Coefficients& c) const override { return {c.at(0).second}; }
  std::array<double, 3> features(const RunsTable&, size_t) const override { return {}; }

 private:
  std::vector<ParamSpec> params_ = {{"c", {0.0}}};
};

// numpy's default percentile, written out.
double reference_percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const double frac = pos - static_cast<double>(lo);
  return lo + 1 < v.size() ? v[lo] * (1 - frac) + v[lo + 1] * frac : v[lo];
}

}  // namespace

BOOST_AUTO_TEST_CASE(intervals_are_percentiles_of_the_resampled_optima) {
  const std::vector<double> ln_losses = {1.0, 1.5, 2.5, 3.0, 4.0, 7.0, 0.5};
  std::vector<Sample> samples;
  for (double v : ln_losses) samples.push_back({{}, v});
  const int refits = 21;
  const double fraction = 0.6;  // round(0.6 * 7) = 4 runs per refit
  const uint64_t seed = 7;
  FitOptions options;
  options.huber_delta = 1e9;
  options.tolerance = 1e-14;

  std::vector<double> means;
  for (int b = 0; b < refits; ++b) {
    std::mt19937_64 rng(seed * 1000003 + b);
    std::uniform_int_distribution<size_t> any(0, samples.size() - 1);
    double sum = 0;
    for (int i = 0; i < 4; ++i) sum += ln_losses[any(rng)];
    means.push_back(sum / 4);
  }
  const double p10 = reference_percentile(means, 0.1), p90 = reference_percentile(means, 0.9);
  BOOST_TEST_MESSAGE("p10 " << p10 << ", p90 " << p90);
  BOOST_REQUIRE(p90 > p10);  // the resamples differ: the check below is not trivial

  for (unsigned threads : {1u, 3u}) {
    options.threads = threads;
    auto intervals = bootstrap_intervals(ConstantLaw(), samples, {2.0}, refits, fraction, options, seed);
    BOOST_REQUIRE(intervals.size() == 1u);
    BOOST_TEST(intervals[0].name == "c");
    BOOST_TEST(intervals[0].p10 == p10, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(intervals[0].p90 == p90, boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(too_few_refits_and_fractions_outside_0_1_are_refused) {
  std::vector<Sample> samples = {{{}, 1.0}, {{}, 2.0}};
  BOOST_CHECK_THROW(bootstrap_intervals(ConstantLaw(), samples, {1.5}, 1, 0.5, {}), moelaw::UsageError);
  BOOST_CHECK_THROW(bootstrap_intervals(ConstantLaw(), samples, {1.5}, 10, 0.0, {}), moelaw::UsageError);
  BOOST_CHECK_THROW(bootstrap_intervals(ConstantLaw(), samples, {1.5}, 10, 1.5, {}), moelaw::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
