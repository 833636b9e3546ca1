// The whole model's gradient against central finite differences, in double, on a tiny config;
// micro-batch accumulation; the float model against the double one; the initialisation.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "backend/backend.hpp"
#include "gradient_check.hpp"
#include "model/init.hpp"
#include "model/transformer.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_model_gradient)

using moelaw::model::ModelDims;
using moelaw::model::Transformer;
using moelaw::testing::compare;
using moelaw::testing::cpu_backend;

namespace {

// d_model 16 in 2 heads of 8, 2 blocks, vocabulary 50, sequences of 8.
const ModelDims kTiny{16, 2, 2, 8, 50, 8};

struct Batch {
  std::vector<int32_t> tokens, targets;
};

Batch tiny_batch(int64_t B, int64_t T, uint64_t seed) {
  Batch b{moelaw::testing::random_tokens(B * T, 50, seed), moelaw::testing::random_tokens(B * T, 50, seed + 1)};
  b.targets[3] = -1;  // one position without a loss
  return b;
}

// Every parameter entry is probed. init_scale 1 (not 0.1) makes the layers far from linear, so a
// mistake in any branch shows. Step h = 1e-5, |analytic − numeric| ≤ 1e-9 + 1e-6·|value|:
// rounding ≈ 1e-16·loss/h ≈ 4e-11 and truncation h²·|f'''|/6 stay near 1e-10, the worst entry
// uses under 15% of its bound (h = 1e-6 left rounding noise at 1e-9, too close to it).
// output_chunk_rows > 0 makes the output head run in chunks of that many rows.
void check_whole_model_gradient(int64_t output_chunk_rows) {
  const int64_t B = 2, T = 8;
  Transformer<double> model(cpu_backend<double>(), kTiny, B);
  if (output_chunk_rows > 0) model.set_output_chunk_rows(output_chunk_rows);
  model.initialize(42, 1.0);
  const Batch batch = tiny_batch(B, T, 7);
  model.zero_grad();
  model.forward_backward(batch.tokens.data(), batch.targets.data(), B, T);
  const std::vector<double> analytic = model.gradients();

  std::vector<double> params = model.parameters();
  auto loss = [&] {
    model.set_parameters(params);
    return model.evaluate(batch.tokens.data(), batch.targets.data(), B, T).mean();
  };
  const std::vector<double> numeric = moelaw::testing::numeric_gradient<double>(loss, params, 1e-5);
  for (const auto& t : model.table().tensors()) {
    std::vector<double> a(analytic.begin() + t.offset, analytic.begin() + t.offset + t.size);
    std::vector<double> n(numeric.begin() + t.offset, numeric.begin() + t.offset + t.size);
    const auto c = compare(n, a, {1e-6, 1e-9});
    BOOST_TEST_MESSAGE(c.describe(t.name));
    BOOST_TEST(c.ok, c.describe(t.name));
    double norm = 0;
    for (double x : a) norm += x * x;
    BOOST_TEST(norm > 0, t.name << " has an all-zero gradient");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(whole_model_gradient_matches_finite_differences) { check_whole_model_gradient(0); }

// 16 positions in chunks of 5, 5, 5 and 1: the backward recomputes each chunk's logits.
BOOST_AUTO_TEST_CASE(output_head_in_chunks_matches_finite_differences) { check_whole_model_gradient(5); }

BOOST_AUTO_TEST_CASE(micro_batches_accumulate_to_the_full_batch_gradient) {
  const int64_t B = 3, T = 8;
  const Batch batch = tiny_batch(B, T, 11);
  Transformer<double> whole(cpu_backend<double>(), kTiny, B), split(cpu_backend<double>(), kTiny, 1);
  whole.initialize(5, 0.1);
  split.initialize(5, 0.1);
  whole.zero_grad();
  split.zero_grad();
  const auto lw = whole.forward_backward(batch.tokens.data(), batch.targets.data(), B, T);
  const auto ls = split.forward_backward(batch.tokens.data(), batch.targets.data(), B, T);
  BOOST_TEST(lw.count == B * T - 1);
  BOOST_TEST(std::abs(lw.mean() - ls.mean()) < 1e-14);
  const auto c = compare(whole.gradients(), split.gradients(), {1e-12, 1e-15});
  BOOST_TEST(c.ok, c.describe("micro-batched gradient"));
  double sq = 0;
  for (double g : whole.gradients()) sq += g * g;
  BOOST_TEST(std::abs(whole.gradient_norm() - std::sqrt(sq)) <= 1e-12 * std::sqrt(sq));
}

BOOST_AUTO_TEST_CASE(float_model_agrees_with_double_model) {
  const int64_t B = 2, T = 8;
  const Batch batch = tiny_batch(B, T, 13);
  Transformer<double> ref(cpu_backend<double>(), kTiny, B);
  Transformer<float> fp32(cpu_backend<float>(), kTiny, B);
  ref.initialize(9, 0.1);
  fp32.initialize(9, 0.1);
  ref.zero_grad();
  fp32.zero_grad();
  const double l64 = ref.forward_backward(batch.tokens.data(), batch.targets.data(), B, T).mean();
  const double l32 = fp32.forward_backward(batch.tokens.data(), batch.targets.data(), B, T).mean();
  BOOST_TEST(std::abs(l64 - l32) <= 1e-6 * l64);
  // fp32 has ~6e-8 relative resolution; the chain of ~30 operations keeps gradients within 1e-4
  // of the largest entry of their tensor.
  const auto g64 = ref.gradients();
  const auto g32 = fp32.gradients();
  for (const auto& t : ref.table().tensors()) {
    double scale = 0;
    for (int64_t i = 0; i < t.size; ++i) scale = std::max(scale, std::abs(g64[t.offset + i]));
    std::vector<double> a(g64.begin() + t.offset, g64.begin() + t.offset + t.size);
    std::vector<float> b(g32.begin() + t.offset, g32.begin() + t.offset + t.size);
    const auto c = compare(a, b, {1e-4, 1e-4 * scale});
    BOOST_TEST(c.ok, c.describe(t.name + " fp32 vs fp64"));
  }
}

BOOST_AUTO_TEST_CASE(initialisation_is_the_switch_truncated_normal) {
  const ModelDims dims{64, 1, 1, 64, 300, 4};
  Transformer<double> model(cpu_backend<double>(), dims, 1);
  model.initialize(1234, 0.1);
  const auto p = model.parameters();
  Transformer<double> again(cpu_backend<double>(), dims, 1);
  again.initialize(1234, 0.1);
  BOOST_TEST((p == again.parameters()));
  // A normal truncated at ±2σ has standard deviation 0.8796·σ.
  for (const auto& t : model.table().tensors()) {
    double sq = 0, max_abs = 0;
    for (int64_t i = 0; i < t.size; ++i) {
      sq += p[t.offset + i] * p[t.offset + i];
      max_abs = std::max(max_abs, std::abs(p[t.offset + i]));
    }
    if (t.role == moelaw::model::TensorRole::NormGain) {
      BOOST_TEST(sq == double(t.size), t.name << " gains start at 1");
      continue;
    }
    const double sigma = std::sqrt(0.1 / double(t.fan_in));
    BOOST_TEST(max_abs <= 2 * sigma, t.name);
    BOOST_TEST(std::abs(std::sqrt(sq / double(t.size)) / sigma - 0.8796) < 0.03, t.name);
  }
}

// forward() then backward() recomputes the head's chunks; forward_backward() fuses the head's
// gradient into the forward (checked against finite differences above). Both must agree.
BOOST_AUTO_TEST_CASE(separate_backward_recomputes_the_output_head_chunks) {
  const int64_t B = 2, T = 8;
  const Batch batch = tiny_batch(B, T, 17);
  for (int64_t chunk : {int64_t{5}, B * T}) {
    Transformer<double> fused(cpu_backend<double>(), kTiny, B), separate(cpu_backend<double>(), kTiny, B);
    fused.set_output_chunk_rows(chunk);
    separate.set_output_chunk_rows(chunk);
    fused.initialize(3, 1.0);
    separate.initialize(3, 1.0);
    fused.zero_grad();
    separate.zero_grad();
    const auto lf = fused.forward_backward(batch.tokens.data(), batch.targets.data(), B, T);
    const auto ls = separate.forward(batch.tokens.data(), batch.targets.data(), B, T);
    separate.backward(1.0 / double(ls.count));
    BOOST_TEST(std::abs(lf.mean() - ls.mean()) < 1e-14);
    const auto c = compare(fused.gradients(), separate.gradients(), {1e-12, 1e-15});
    BOOST_TEST(c.ok, c.describe("chunks of " + std::to_string(chunk)));
  }
}

BOOST_AUTO_TEST_SUITE_END()
