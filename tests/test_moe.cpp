// The MoE layer: gradients (router included, through the gate weights, with both auxiliary
// losses) against finite differences in double precision, and outputs, capacity and dropping
// against a brute-force reference written with plain loops.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "backend/backend.hpp"
#include "gradient_check.hpp"
#include "model/parameter_table.hpp"
#include "moe/moe_layer.hpp"
#include "support/swiglu_reference.hpp"

BOOST_AUTO_TEST_SUITE(test_moe)

using namespace moelaw;
using moelaw::testing::compare;
using moelaw::testing::random_vector;

namespace {

constexpr int64_t d = 8, H = 6, E = 4, k = 2, N = 6;

struct Weights {
  std::vector<double> router = random_vector<double>(E * d, 11), gate = random_vector<double>(E * H * d, 12),
                      up = random_vector<double>(E * H * d, 13), down = random_vector<double>(E * d * H, 14);
  moe::ExpertWeights<double> view() { return {router.data(), gate.data(), up.data(), down.data()}; }
};

moe::MoeSettings settings(double capacity_factor) { return {d, H, E, k, capacity_factor, 0.3, 0.2}; }

// The layer's output by brute force: softmax, top-k, the capacity rule, and each kept choice's
// SwiGLU expert evaluated directly.
std::vector<double> brute_force(const std::vector<double>& x, Weights& w, int64_t capacity, int64_t& dropped) {
  std::vector<double> out(N * d, 0.0);
  std::vector<std::vector<int>> choice(N);
  for (int64_t t = 0; t < N; ++t) {
    std::vector<double> logit(E);
    for (int64_t e = 0; e < E; ++e)
      for (int64_t c = 0; c < d; ++c) logit[e] += w.router[e * d + c] * x[t * d + c];
    double mx = *std::max_element(logit.begin(), logit.end()), sum = 0;
    for (auto& l : logit) sum += std::exp(l - mx);
    std::vector<double> p(E);
    for (int64_t e = 0; e < E; ++e) p[e] = std::exp(logit[e] - mx) / sum;
    std::vector<int> idx(E);
    for (int e = 0; e < E; ++e) idx[e] = e;
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return p[a] > p[b]; });
    choice[t].assign(idx.begin(), idx.begin() + k);
  }
  std::vector<int64_t> used(E, 0);
  dropped = 0;
  for (int64_t j = 0; j < k; ++j)
    for (int64_t t = 0; t < N; ++t) {
      int e = choice[t][j];
      if (capacity >= 0 && used[e] >= capacity) {
        ++dropped;
        continue;
      }
      ++used[e];
      // SwiGLU expert e on token t.
      const std::vector<double> y = moelaw::testing::swiglu_row(x.data() + t * d, w.gate, w.up, w.down, e, d, H);
      // probability of expert e for token t: recompute (softmax again, cheap and independent)
      std::vector<double> logit(E);
      for (int64_t ee = 0; ee < E; ++ee)
        for (int64_t c = 0; c < d; ++c) logit[ee] += w.router[ee * d + c] * x[t * d + c];
      double mx = *std::max_element(logit.begin(), logit.end()), sum = 0;
      for (auto& l : logit) sum += std::exp(l - mx);
      const double p = std::exp(logit[e] - mx) / sum;
      for (int64_t c = 0; c < d; ++c) out[t * d + c] += p * y[c];
    }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(outputs_and_dropping_match_brute_force) {
  auto be = backend::make_cpu_backend<double>();
  Weights w;
  auto x = random_vector<double>(N * d, 21, -2, 2);
  for (double cf : {0.5, 1.0, 0.0 /* dropless */}) {
    moe::MoeLayer<double> layer(*be, settings(cf), nullptr);
    std::vector<double> out(N * d);
    layer.forward(x.data(), out.data(), w.view(), N, cf > 0);
    const int64_t capacity = cf > 0 ? moe::expert_capacity(cf, N, k, E) : -1;
    int64_t dropped = 0;
    auto expected = brute_force(x, w, capacity, dropped);
    auto c = compare(expected, out, {1e-12, 1e-12});
    BOOST_TEST(c.ok, c.describe("MoE output, capacity factor " + std::to_string(cf)));
    BOOST_TEST(layer.routing().dropped == dropped);
    if (cf == 0.5) BOOST_TEST(dropped >= 4);  // 12 choices, 4 experts x 2 slots
    if (cf == 0.0) BOOST_TEST(dropped == 0);
  }
  // Evaluation is dropless whatever the capacity factor.
  moe::MoeLayer<double> layer(*be, settings(0.5), nullptr);
  std::vector<double> out(N * d);
  layer.forward(x.data(), out.data(), w.view(), N, false);
  BOOST_TEST(layer.routing().dropped == 0);
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  auto be = backend::make_cpu_backend<double>();
  Weights w;
  auto x = random_vector<double>(N * d, 31, -2, 2);
  const auto c = random_vector<double>(N * d, 32);  // d loss / d out
  const double loss_scale = 0.1;
  moe::MoeLayer<double> layer(*be, settings(0.5), nullptr);
  std::vector<double> out(N * d);
  // loss = Σ c·out + (0.3·aux + 0.2·z)·N·loss_scale, as the layer's backward defines it.
  auto loss = [&]() {
    layer.forward(x.data(), out.data(), w.view(), N, true);
    const auto& r = layer.routing();
    return testing::dot(c, out) + (0.3 * r.aux_loss + 0.2 * r.z_loss) * double(N) * loss_scale;
  };
  loss();
  const auto decisions = layer.chosen_experts();
  BOOST_TEST_REQUIRE(layer.routing().dropped > 0);  // the check covers dropped choices too
  std::vector<double> dx(N * d, 0.0);
  Weights dw;
  for (auto* v : {&dw.router, &dw.gate, &dw.up, &dw.down}) std::fill(v->begin(), v->end(), 0.0);
  layer.backward(c.data(), dx.data(), w.view(), dw.view(), loss_scale);

  const testing::Tolerance tol{1e-6, 1e-9};
  auto check = [&](std::vector<double>& param, const std::vector<double>& analytic, const std::string& name) {
    auto numeric = testing::numeric_gradient<double>(loss, param, 1e-6);
    auto cmp = compare(numeric, analytic, tol);
    BOOST_TEST(cmp.ok, cmp.describe(name));
  };
  check(x, dx, "d/dx");
  check(w.router, dw.router, "d/d router");
  check(w.gate, dw.gate, "d/d w_gate");
  check(w.up, dw.up, "d/d w_up");
  check(w.down, dw.down, "d/d w_down");
  loss();
  BOOST_TEST(layer.chosen_experts() == decisions);  // no routing decision flipped while probing
  // The router's gradient is not only the auxiliary losses': the gates carry the task's gradient.
  double norm = 0;
  for (double g : dw.router) norm += g * g;
  BOOST_TEST(norm > 1e-6);
}

BOOST_AUTO_TEST_CASE(expert_tensors_are_stacked_in_a_rank_independent_layout) {
  model::ModelDims dims{64, 2, 1, 64, 100, 16};
  dims.experts = 8;
  dims.expert_choices = 2;
  dims.expert_hidden = 96;
  auto table = model::dense_parameter_table(dims);
  BOOST_TEST((table.at("blocks.1.experts_w_gate").shape == std::vector<int64_t>{8, 96, 64}));
  BOOST_TEST((table.at("blocks.0.experts_w_down").shape == std::vector<int64_t>{8, 64, 96}));
  BOOST_TEST((table.at("blocks.0.router").shape == std::vector<int64_t>{8, 64}));
  BOOST_TEST(!table.contains("blocks.0.w_gate"));
  model::ModelDims dense{64, 2, 1, 64, 100, 16};
  BOOST_TEST(!model::dense_parameter_table(dense).contains("blocks.0.router"));  // E = 1 is the dense model
}

BOOST_AUTO_TEST_SUITE_END()
