// forward_backward's on_gradients_ready hook, which starts the data-parallel all-reduce during
// backward: its ranges tile the gradient buffer once, each is final when reported, buckets merge
// ranges; and the explicit loss scale. On the CPU backend, dense and MoE models.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "backend/backend.hpp"
#include "gradient_check.hpp"
#include "model/gradient_buckets.hpp"
#include "model/transformer.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_gradient_ready)

using moelaw::model::GradientBuckets;
using moelaw::model::ModelDims;
using moelaw::model::Transformer;
using moelaw::testing::cpu_backend;

namespace {

using Range = std::pair<int64_t, int64_t>;  // first, count

ModelDims dense_dims() { return {16, 3, 2, 8, 50, 8}; }

ModelDims moe_dims() {
  ModelDims d{16, 2, 2, 8, 50, 8};
  d.experts = 4;
  d.expert_choices = 2;
  d.expert_hidden = 12;
  return d;
}

// One step of forward_backward over B sequences with micro-batches of 2; each reported range
// is copied when reported.
struct Reported {
  std::vector<Range> ranges;
  std::vector<std::vector<float>> values;  // the range's gradients at report time
  std::vector<float> final_gradients;      // after forward_backward returned
};

Reported step(const ModelDims& dims, int64_t B, int64_t bucket_bytes) {
  const int64_t T = dims.seq_len;
  Transformer<float> model(cpu_backend(), dims, 2);
  model.initialize(3, 1.0);
  model.set_gradient_bucket_bytes(bucket_bytes);
  const auto tokens = moelaw::testing::random_tokens(size_t(std::max<int64_t>(B, 1) * T), 50, 11);
  auto targets = moelaw::testing::random_tokens(tokens.size(), 50, 12);
  targets[1] = -1;
  Reported r;
  model.zero_grad();
  model.forward_backward(tokens.data(), targets.data(), B, T, std::nullopt, [&](int64_t first, int64_t count) {
    r.ranges.emplace_back(first, count);
    const auto all = model.gradients();
    r.values.emplace_back(all.begin() + first, all.begin() + first + count);
  });
  r.final_gradients = model.gradients();
  return r;
}

// Sorted by start, the ranges follow each other from 0 to `total` with no gap or overlap.
void check_tiling(std::vector<Range> ranges, int64_t total) {
  std::sort(ranges.begin(), ranges.end());
  int64_t next = 0;
  for (const auto& [first, count] : ranges) {
    BOOST_TEST(first == next);
    BOOST_TEST(count > 0);
    next = first + count;
  }
  BOOST_TEST(next == total);
}

void check_final_when_reported(const Reported& r) {
  for (size_t i = 0; i < r.ranges.size(); ++i) {
    const auto [first, count] = r.ranges[i];
    const std::vector<float> final_values(r.final_gradients.begin() + first, r.final_gradients.begin() + first + count);
    BOOST_TEST(r.values[i] == final_values);  // bit for bit: nothing touched them afterwards
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(buckets_merge_ranges_from_the_end_until_large_enough) {
  std::vector<Range> out;
  GradientBuckets buckets([&](int64_t f, int64_t c) { out.emplace_back(f, c); }, 100, 30);
  buckets.add(90, 10);  // pending 10
  buckets.add(70, 20);  // 30: handed on
  buckets.add(60, 10);
  buckets.add(10, 50);  // 60
  buckets.add(0, 10);   // 10, the remainder
  buckets.flush();
  BOOST_TEST((out == std::vector<Range>{{70, 30}, {10, 60}, {0, 10}}));
}

BOOST_AUTO_TEST_CASE(buckets_refuse_gaps_and_an_unfinished_buffer) {
  GradientBuckets gap([](int64_t, int64_t) {}, 100, 1);
  BOOST_CHECK_THROW(gap.add(80, 10), std::logic_error);  // 90..100 skipped
  GradientBuckets partial([](int64_t, int64_t) {}, 100, 1);
  partial.add(50, 50);
  BOOST_CHECK_THROW(partial.flush(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(every_part_is_reported_once_and_final_dense) {
  const ModelDims dims = dense_dims();
  const int64_t total = moelaw::model::dense_parameter_table(dims).total();
  // Bucket 0: every part alone (head, each block, embedding); 3 micro-batches, the last partial.
  const Reported parts = step(dims, 5, 0);
  BOOST_TEST(parts.ranges.size() == size_t(dims.n_blocks + 2));
  check_tiling(parts.ranges, total);
  check_final_when_reported(parts);
  // A bucket of a third of the model merges parts; one larger than the model gives one range.
  const Reported merged = step(dims, 5, total * 4 / 3);
  BOOST_TEST(merged.ranges.size() > 1);
  BOOST_TEST(merged.ranges.size() < parts.ranges.size());
  check_tiling(merged.ranges, total);
  check_final_when_reported(merged);
  const Reported whole = step(dims, 5, total * 8);
  BOOST_TEST((whole.ranges == std::vector<Range>{{0, total}}));
  BOOST_TEST(whole.final_gradients == parts.final_gradients);  // the hook changes nothing
}

BOOST_AUTO_TEST_CASE(every_part_is_reported_once_and_final_moe) {
  const ModelDims dims = moe_dims();
  const Reported parts = step(dims, 4, 0);
  BOOST_TEST(parts.ranges.size() == size_t(dims.n_blocks + 2));
  // The experts come last and are not reported: they sum over another group of ranks.
  const auto table = moelaw::model::dense_parameter_table(dims);
  BOOST_TEST(table.replicated_total() == table.at("blocks.0.experts_w_gate").offset);
  BOOST_TEST(table.replicated_total() < table.total());
  check_tiling(parts.ranges, table.replicated_total());
  check_final_when_reported(parts);
}

// A rank without sequences still reports everything, so its peers' all-reduces find a match.
BOOST_AUTO_TEST_CASE(an_empty_batch_reports_every_part) {
  const ModelDims dims = dense_dims();
  const Reported empty = step(dims, 0, 0);
  check_tiling(empty.ranges, moelaw::model::dense_parameter_table(dims).total());
  BOOST_TEST(std::all_of(empty.final_gradients.begin(), empty.final_gradients.end(), [](float g) { return g == 0; }));
}

BOOST_AUTO_TEST_CASE(an_explicit_loss_scale_scales_the_gradient) {
  const ModelDims dims = dense_dims();
  const int64_t B = 3, T = dims.seq_len;
  const auto tokens = moelaw::testing::random_tokens(size_t(B * T), 50, 21);
  const auto targets = moelaw::testing::random_tokens(size_t(B * T), 50, 22);
  auto gradient = [&](std::optional<double> scale) {
    Transformer<float> model(cpu_backend(), dims, 2);
    model.initialize(5, 1.0);
    model.zero_grad();
    model.forward_backward(tokens.data(), targets.data(), B, T, scale);
    return model.gradients();
  };
  const auto mean = gradient(std::nullopt);
  BOOST_TEST(gradient(1.0 / double(B * T)) == mean);  // the default is 1/(targets in the batch)
  const auto doubled = gradient(2.0 / double(B * T));
  for (size_t i = 0; i < mean.size(); ++i)
    BOOST_TEST(doubled[i] == 2 * mean[i], boost::test_tools::tolerance(1e-5f));
}

BOOST_AUTO_TEST_SUITE_END()
