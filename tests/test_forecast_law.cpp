// The schedule laws of analysis/schedule_law.hpp against references written here straight from
// the papers' formulas (a direct double sum per step), their Jacobians against central finite
// differences, the LR-units rescaling, and a synthetic fit-back: curves drawn from known
// multi-power coefficients with noise are fitted and the coefficients come back.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>

#include "analysis/forecast.hpp"
#include "analysis/schedule_law.hpp"

BOOST_AUTO_TEST_SUITE(test_forecast_law)

using namespace moelaw::analysis;

namespace {

// Luo et al.'s 25M coefficients (DESIGN.md), in the fitted form.
const std::vector<double> kPublished = {3.040, std::log(0.525), 0.508, std::log(364.0), std::log(2.07), 0.583, 0.641};

// Warm-up to `peak` over `warm` steps, then `shape(s)` (an LR) up to step T.
template <class Shape>
std::vector<double> schedule(long T, long warm, double peak, Shape shape) {
  std::vector<double> lr(T + 1);
  for (long s = 0; s <= T; ++s) lr[s] = s <= warm ? peak * s / warm : shape(s);
  return lr;
}

std::vector<double> cosine(long T) {
  return schedule(T, 2160, 3e-4, [T](long s) {
    double f = double(s - 2160) / double(T - 2160);
    return 3e-5 + 0.5 * (3e-4 - 3e-5) * (1 + std::cos(M_PI * f));
  });
}
std::vector<double> wsd(long T, long decay_from) {  // constant, then linear to 1e-5
  return schedule(T, 2160, 3e-4, [=](long s) {
    return s < decay_from ? 3e-4 : 3e-4 + (1e-5 - 3e-4) * double(s - decay_from) / double(T - decay_from);
  });
}
std::vector<double> constant(long T) {
  return schedule(T, 2160, 3e-4, [](long) { return 3e-4; });
}
std::vector<double> two_stage(long T, long drop, double low) {  // with a rise back after a second drop
  return schedule(T, 2160, 3e-4, [=](long s) { return s < drop ? 3e-4 : s < drop + 1000 ? low : 2 * low; });
}

// L(t) of the multi-power law by its definition: every decrease after the warm-up, S_k(t) summed.
double multi_power_reference(const std::vector<double>& lr, long t, const std::vector<double>& p) {
  double L0 = p[0], A = std::exp(p[1]), alpha = p[2], B = std::exp(p[3]), C = std::exp(p[4]), beta = p[5], gamma = p[6];
  long first = 1;
  while (first < (long)lr.size() && lr[first] >= lr[first - 1]) ++first;
  double area = 0;
  for (long s = 0; s <= t; ++s) area += lr[s];
  double drop = 0, suffix = 0;  // suffix = Σ_{τ=k..t} η_τ
  for (long k = t; k >= 1; --k) {
    suffix += lr[k];
    if (k < first) continue;
    double x = std::pow(lr[k], -gamma) * suffix;
    drop += (lr[k - 1] - lr[k]) * (1 - std::pow(C * x + 1, -beta));
  }
  return L0 + A * std::pow(area, -alpha) - B * drop;
}

// Tissue et al.: L0 + A·S1^−α − C·Σ_{i≤t} Σ_{k≤i} Δ_k·λ^(i−k), as a double sum.
double annealing_reference(const std::vector<double>& lr, long t, const std::vector<double>& p) {
  double L0 = p[0], A = std::exp(p[1]), alpha = p[2], C = std::exp(p[3]), lambda = 1 - std::exp(-p[4]);
  long first = 1;
  while (first < (long)lr.size() && lr[first] >= lr[first - 1]) ++first;
  double area = 0, s2 = 0;
  for (long s = 0; s <= t; ++s) area += lr[s];
  for (long i = first; i <= t; ++i)
    for (long k = first; k <= i; ++k) s2 += (lr[k - 1] - lr[k]) * std::pow(lambda, double(i - k));
  return L0 + A * std::pow(area, -alpha) - C * s2;
}

std::vector<long> every(long from, long to, long stride) {
  std::vector<long> s;
  for (long t = from; t <= to; t += stride) s.push_back(t);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(grouped_multi_power_matches_the_direct_sum) {
  // Within 2e-5 relative (0.02 of the published law's mean error on these curves).
  for (const auto& lr : {cosine(24000), wsd(24000, 20000), two_stage(16000, 8000, 3e-5)}) {
    auto steps = every(2200, static_cast<long>(lr.size()) - 1, 997);
    steps.push_back(static_cast<long>(lr.size()) - 1);
    auto law = prepare_schedule(ScheduleLawForm::multi_power, lr, steps);
    std::vector<double> pred(steps.size());
    law->predict(kPublished.data(), pred.data(), nullptr);
    double worst = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      double ref = multi_power_reference(lr, steps[i], kPublished);
      worst = std::max(worst, std::abs(pred[i] - ref) / ref);
    }
    BOOST_TEST(worst < 2e-5);
  }
}

BOOST_AUTO_TEST_CASE(annealing_matches_the_double_sum) {
  auto lr = wsd(3000, 2400);
  std::vector<double> p = {3.0, std::log(0.5), 0.5, std::log(2.0), 6.0};
  auto steps = every(2200, 3000, 50);
  auto law = prepare_schedule(ScheduleLawForm::annealing, lr, steps);
  std::vector<double> pred(steps.size());
  law->predict(p.data(), pred.data(), nullptr);
  for (size_t i = 0; i < steps.size(); ++i)
    BOOST_TEST(pred[i] == annealing_reference(lr, steps[i], p), boost::test_tools::tolerance(1e-11));
}

BOOST_AUTO_TEST_CASE(jacobians_match_central_differences) {
  auto lr = two_stage(12000, 6000, 9e-5);
  for (size_t i = 0; i < lr.size(); ++i) lr[i] /= 3e-4;  // the fit's units
  auto steps = every(2300, 12000, 700);
  for (auto form : {ScheduleLawForm::multi_power, ScheduleLawForm::annealing}) {
    std::vector<double> p = form == ScheduleLawForm::multi_power
                                ? std::vector<double>{3.0, 1.2, 0.5, -2.0, -2.2, 0.6, 0.64}
                                : std::vector<double>{3.0, 1.2, 0.5, -2.0, 6.5};
    const size_t K = p.size(), n = steps.size();
    auto law = prepare_schedule(form, lr, steps);
    std::vector<double> base(n), jac(n * K), up(n), down(n);
    law->predict(p.data(), base.data(), jac.data());
    for (size_t k = 0; k < K; ++k) {
      auto q = p;
      const double h = 1e-6;
      q[k] = p[k] + h;
      law->predict(q.data(), up.data(), nullptr);
      q[k] = p[k] - h;
      law->predict(q.data(), down.data(), nullptr);
      for (size_t i = 0; i < n; ++i) {
        double fd = (up[i] - down[i]) / (2 * h);
        BOOST_TEST(jac[i * K + k] == fd, boost::test_tools::tolerance(1e-5) << "param " << k << " step " << steps[i]);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(rescaled_lr_units_give_the_same_losses) {
  auto lr = wsd(10000, 8000), scaled = lr;
  for (auto& v : scaled) v *= 1000;
  auto steps = every(2200, 10000, 400);
  auto q = rescale_lr_units(ScheduleLawForm::multi_power, kPublished, 1000);
  std::vector<double> a(steps.size()), b(steps.size());
  prepare_schedule(ScheduleLawForm::multi_power, lr, steps)->predict(kPublished.data(), a.data(), nullptr);
  prepare_schedule(ScheduleLawForm::multi_power, scaled, steps)->predict(q.data(), b.data(), nullptr);
  for (size_t i = 0; i < steps.size(); ++i) BOOST_TEST(a[i] == b[i], boost::test_tools::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(synthetic_curves_are_fitted_back) {
  // Three schedules drawn from the published law with 0.1% multiplicative noise, observed every
  // 64 steps; the fit recovers the coefficients and predicts an unseen schedule.
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 1e-3);
  auto make = [&](std::vector<double> lr, bool noisy) {
    LossCurve c;
    c.source = "synthetic";
    c.series = "csv";
    c.lr = lr;
    for (long t = 2176; t < (long)lr.size(); t += 64) {
      c.steps.push_back(t);
      c.losses.push_back(multi_power_reference(lr, t, kPublished) * (noisy ? std::exp(noise(rng)) : 1.0));
    }
    return c;
  };
  std::vector<LossCurve> fit = {make(cosine(16000), true), make(constant(16000), true),
                                make(two_stage(12000, 6000, 3e-5), true)};
  ForecastModel m = fit_forecast(fit, {});
  auto c = natural_coefficients(m);
  BOOST_TEST(c[0].second == 3.040, boost::test_tools::tolerance(0.02));   // L0
  BOOST_TEST(c[2].second == 0.508, boost::test_tools::tolerance(0.15));   // alpha
  BOOST_TEST(c[6].second == 0.641, boost::test_tools::tolerance(0.15));   // gamma
  auto unseen = make(wsd(16000, 12000), false);
  auto e = forecast_error(m, unseen);
  BOOST_TEST(e.mean_relative < 5e-4);
  BOOST_TEST(e.max_relative < 2e-3);
}

BOOST_AUTO_TEST_SUITE_END()
