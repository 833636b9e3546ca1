// The data-parallel gradient as the trainer computes it, on real ranks (CTest runs 2): each rank
// runs forward_backward on its slice with the loss scaled by 1/(targets over all ranks) and
// all-reduces the buckets its on_gradients_ready hook reports, as they are reported, then the
// expert tensors the hook leaves out. The sum must be the one-process gradient of the whole
// batch's mean. Also correct on 1 rank.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "backend/backend.hpp"
#include "gradient_check.hpp"
#include "model/transformer.hpp"
#include "parallel/mpi_communicator.hpp"
#include "parallel/staged_exchange.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_mpi_gradient_overlap)

using moelaw::model::ModelDims;
using moelaw::model::Transformer;
using moelaw::parallel::StagedExchange;
using moelaw::testing::world;
using moelaw::testing::cpu_backend;

namespace {

void check_data_parallel_gradient(const ModelDims& dims, int64_t B, int64_t bucket_bytes) {
  auto& w = world();
  const int64_t T = dims.seq_len, P = w.size(), r = w.rank();
  const auto tokens = moelaw::testing::random_tokens(size_t(B * T), int32_t(dims.vocab_size), 31);
  auto targets = moelaw::testing::random_tokens(size_t(B * T), int32_t(dims.vocab_size), 32);
  for (int64_t i = 0; i < B * T; i += 7) targets[size_t(i)] = -1;  // uneven target counts per rank

  Transformer<float> whole(cpu_backend(), dims, 2);
  whole.initialize(9, 1.0);
  whole.zero_grad();
  whole.forward_backward(tokens.data(), targets.data(), B, T);
  const auto expected = whole.gradients();

  // As the trainer does: the global count first, then buckets all-reduced during backward.
  const int64_t first = B * r / P, count = B * (r + 1) / P - first;
  const int32_t* my_targets = targets.data() + first * T;
  double global = double(std::count_if(my_targets, my_targets + count * T, [](int32_t t) { return t >= 0; }));
  w.allreduce_sum(&global, 1);
  Transformer<float> slice(cpu_backend(), dims, 2);
  slice.initialize(9, 1.0);
  slice.set_gradient_bucket_bytes(bucket_bytes);
  StagedExchange exchange(w, cpu_backend());
  int64_t buckets = 0;
  slice.zero_grad();
  slice.forward_backward(tokens.data() + first * T, my_targets, count, T, 1.0 / global,
                         [&](int64_t offset, int64_t values) {
                           exchange.start_allreduce_sum(slice.grads() + offset, size_t(values));
                           ++buckets;
                         });
  exchange.finish_allreduces();
  // Then the expert tensors (MoE), which the hook leaves out: here every rank holds every expert.
  const int64_t replicated = slice.table().replicated_total(), total = slice.table().total();
  BOOST_TEST((replicated == total) == !dims.moe());
  if (total > replicated) exchange.allreduce_sum(slice.grads() + replicated, size_t(total - replicated));
  BOOST_TEST(buckets > 1);
  const auto reduced = slice.gradients();
  for (size_t i = 0; i < expected.size(); ++i)
    BOOST_TEST(std::abs(reduced[i] - expected[i]) <= 1e-6f + 1e-4f * std::abs(expected[i]), "value " << i);
}

}  // namespace

BOOST_AUTO_TEST_CASE(bucketed_allreduce_gives_the_whole_batch_gradient_dense) {
  check_data_parallel_gradient({16, 3, 2, 8, 50, 8}, 5, 0);
  check_data_parallel_gradient({16, 3, 2, 8, 50, 8}, 5, 4096);
}

// With one sequence, rank 0 of 2 has none: its hook still reports every bucket.
BOOST_AUTO_TEST_CASE(a_rank_without_sequences_takes_part) {
  check_data_parallel_gradient({16, 3, 2, 8, 50, 8}, 1, 0);
}

BOOST_AUTO_TEST_CASE(bucketed_allreduce_gives_the_whole_batch_gradient_moe) {
  ModelDims dims{16, 2, 2, 8, 50, 8};
  dims.experts = 4;
  dims.expert_choices = 2;
  dims.expert_hidden = 12;
  check_data_parallel_gradient(dims, 5, 0);
}

BOOST_AUTO_TEST_SUITE_END()
