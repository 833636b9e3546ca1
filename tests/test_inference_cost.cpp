// Inference-aware optima (Yun et al. 2024): the serving cost of one configuration worked out by
// hand here (batch bound, rooflines, throughput, cost per token), and both algorithms over E
// against a brute-force scan over N written here, on the published joint law.
#include <cmath>

#include <boost/test/unit_test.hpp>

#include "analysis/inference_cost.hpp"
#include "fit_test_support.hpp"

BOOST_AUTO_TEST_SUITE(test_inference_cost)

using namespace moelaw::analysis;

namespace {

std::vector<Reduced> published_laws() {
  moelaw::testing::PublishedJoint p;
  Coefficients c = {{"a", p.a}, {"alpha", p.alpha}, {"delta", p.delta}, {"gamma", p.gamma}, {"b", p.b}, {"beta", p.beta},
                    {"omega", p.omega}, {"zeta", p.zeta}, {"e_start", p.e_start}, {"e_max", p.e_max}, {"c", p.c}};
  std::vector<Reduced> out;
  for (double e : {1, 4, 16, 64}) out.push_back(reduce_joint(c, e));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_configuration_by_hand) {
  // d_model 1024, 16 blocks, 8 experts on 2 GPUs of 80 GB, prompt 512, output 256, bf16.
  const double d = 1024, l = 16, v = 50257;
  const double n_act = 2 * d * v + 13 * l * d * d, n_total = 2 * d * v + (4 + 9 * 8) * l * d * d;
  GpuSpec gpu;  // 80e9 bytes, 3.35e12 B/s, 989e12 FLOP/s, 2 per hour
  ServingSpec s;
  s.prompt = 512, s.output = 256;
  // Weights 2·N_total bytes; a sequence holds on average (2·512 + 256)·1024·16 values of 2 bytes.
  const double kv = 2.0 * (2 * 512 + 256) * 1024 * 16;
  const double batch = std::floor((2 * 80e9 - 2 * n_total) / kv);
  const double decode = std::max(2 * n_act * batch / (2 * 989e12), (2 * n_total + batch * kv) / (2 * 3.35e12));
  const double prefill = std::max(2 * n_act * (batch / 256) * 512 / (2 * 989e12), 2 * n_total / (2 * 3.35e12));
  const double cost = 2 * (2.0 / 3600) / (batch / (decode + prefill));
  ServingCost c = serving_cost(model_dims(n_act, 8), gpu, s, 2);
  BOOST_TEST_MESSAGE("batch " << batch << ", decode " << decode << " s, prefill " << prefill << " s, cost " << cost);
  BOOST_CHECK_CLOSE(c.batch, batch, 1e-9);
  BOOST_CHECK_CLOSE(c.decode_latency, decode, 1e-6);
  BOOST_CHECK_CLOSE(c.prefill_latency, prefill, 1e-6);
  BOOST_CHECK_CLOSE(c.cost_per_token, cost, 1e-6);
  // A model whose weights alone exceed the memory cannot be served there.
  BOOST_TEST(serving_cost(model_dims(n_act, 8), GpuSpec{1e9}, s, 1).batch == 0);
  BOOST_TEST(std::isinf(serving_cost(model_dims(n_act, 8), GpuSpec{1e9}, s, 1).cost_per_token));
  // The cheapest G is no dearer than any single G.
  ServingCost best = cheapest_serving(model_dims(n_act, 8), gpu, s);
  for (int g = 1; g <= gpu.max_gpus; ++g) BOOST_TEST(best.cost_per_token <= serving_cost(model_dims(n_act, 8), gpu, s, g).cost_per_token);
}

BOOST_AUTO_TEST_CASE(algorithms_match_a_scan_over_n) {
  const auto laws = published_laws();
  GpuSpec gpu;
  ServingSpec s;
  const double budget = 1e22;
  // A loss every E reaches below its compute optimum at 1e22 (2.05 to 2.16), and a cost bound
  // below the cost that algorithm 1 finds, so that algorithm 2 has to give up some loss.
  const double target = 2.2;
  std::vector<InferenceOptimum> per_e1, per_e2;
  InferenceOptimum a1 = least_cost_for_loss(laws, budget, target, gpu, s, &per_e1);
  BOOST_REQUIRE(a1.feasible);
  const double bound = 0.8 * a1.serving.cost_per_token;
  InferenceOptimum a2 = least_loss_for_cost(laws, budget, bound, gpu, s, &per_e2);
  BOOST_REQUIRE(a2.feasible);
  // The scan: ln N from 1e6 to each E's compute optimum in steps of 1e-3.
  double scan_cost = INFINITY, scan_cost_e = 0, scan_loss = INFINITY, scan_loss_e = 0;
  for (const Reduced& r : laws) {
    const double hi = std::log(compute_optimal(r, budget).n_act);
    double first_reaching = NAN, last_affordable_loss = NAN;
    for (double u = std::log(1e6); u <= hi; u += 1e-3) {
      double n = std::exp(u), loss = r.loss(n, budget / (6 * n));
      double cost = cheapest_serving(model_dims(n, r.experts), gpu, s).cost_per_token;
      if (std::isnan(first_reaching) && loss <= target) first_reaching = cost;
      if (cost <= bound) last_affordable_loss = loss;
    }
    if (first_reaching < scan_cost) scan_cost = first_reaching, scan_cost_e = r.experts;
    if (last_affordable_loss < scan_loss) scan_loss = last_affordable_loss, scan_loss_e = r.experts;
  }
  BOOST_TEST_MESSAGE("algorithm 1: E " << a1.experts << ", N " << a1.n_act << ", cost " << a1.serving.cost_per_token
                                       << " on " << a1.serving.gpus << " GPUs; scan E " << scan_cost_e << ", cost " << scan_cost);
  BOOST_TEST_MESSAGE("algorithm 2: E " << a2.experts << ", N " << a2.n_act << ", loss " << a2.loss << "; scan E "
                                       << scan_loss_e << ", loss " << scan_loss);
  BOOST_TEST(a1.experts == scan_cost_e);
  BOOST_CHECK_CLOSE(a1.serving.cost_per_token, scan_cost, 0.5);  // the scan's step in ln N is 1e-3
  BOOST_TEST(a1.loss <= target * (1 + 1e-9));
  BOOST_TEST(a2.experts == scan_loss_e);
  BOOST_CHECK_CLOSE(a2.loss, scan_loss, 0.01);
  BOOST_TEST(a2.serving.cost_per_token <= bound);
  BOOST_TEST(a2.loss > target);  // the cheaper bound costs loss
  // Over-trained: each E's answer no larger than its compute optimum.
  BOOST_REQUIRE_EQUAL(per_e1.size(), laws.size());
  for (size_t i = 0; i < laws.size(); ++i) {
    BOOST_TEST(per_e1[i].feasible);
    BOOST_TEST(per_e1[i].n_act <= compute_optimal(laws[i], budget).n_act * (1 + 1e-9));
  }
}

BOOST_AUTO_TEST_SUITE_END()
