// Expert parallelism with the experts' weights split over the ranks (CTest runs 2): each rank's
// model holds only its experts, initialised to the rows a one-process model gives them, and after
// the trainer's reductions its gradient is the one-process gradient of the whole batch, restricted
// to its experts. Also the gather that brings the shards together for checkpoints.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>

#include "backend/backend.hpp"
#include "gradient_check.hpp"
#include "model/transformer.hpp"
#include "parallel/mpi_communicator.hpp"
#include "parallel/staged_exchange.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_mpi_expert_shards)

using moelaw::model::ModelDims;
using moelaw::model::TensorInfo;
using moelaw::model::Transformer;
using moelaw::parallel::StagedExchange;
using moelaw::testing::world;
using moelaw::testing::cpu_backend;

namespace {

ModelDims moe_dims() {
  ModelDims dims{16, 2, 2, 8, 50, 8};
  dims.experts = 4;
  dims.expert_choices = 2;
  dims.expert_hidden = 12;
  dims.capacity_factor = 1.0;
  return dims;
}

// Where tensor t of a shard lies in a one-process model's buffer.
int64_t offset_in_whole(const TensorInfo& t, const Transformer<float>& whole) {
  const int64_t row = t.shape.size() > 1 ? t.size / t.shape[0] : 0;
  return whole.table().at(t.name).offset + t.shard_first * row;
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_rank_holds_and_trains_only_its_experts) {
  auto& w = world();
  const ModelDims dims = moe_dims();
  const int64_t T = dims.seq_len, P = w.size(), r = w.rank(), B = 2 * P;
  const auto tokens = moelaw::testing::random_tokens(size_t(B * T), int32_t(dims.vocab_size), 41);
  auto targets = moelaw::testing::random_tokens(size_t(B * T), int32_t(dims.vocab_size), 42);
  for (int64_t i = 0; i < B * T; i += 5) targets[size_t(i)] = -1;

  // The reference: one process, every expert, the whole batch in micro-batches of 2 sequences
  // (the same routing groups, so the same capacity drops, as 2 sequences on each rank).
  Transformer<float> whole(cpu_backend(), dims, 2);
  whole.initialize(7, 1.0);
  whole.zero_grad();
  whole.forward_backward(tokens.data(), targets.data(), B, T);
  const auto expected = whole.gradients(), initial = whole.parameters();

  StagedExchange experts(w, cpu_backend()), gradients(w, cpu_backend());
  Transformer<float> shard(cpu_backend(), dims, 2, &experts);
  const auto& table = shard.table();
  BOOST_TEST(table.full_total() == whole.table().total());
  // The router is replicated; the experts' 3·E·h·d values per block are split P ways.
  const int64_t expert_values = 3 * dims.experts * dims.expert_hidden * dims.d_model * dims.n_blocks;
  BOOST_TEST(table.total() == table.full_total() - expert_values + expert_values / P);
  const auto& gate = table.at("blocks.1.experts_w_gate");
  BOOST_TEST(gate.expert_sharded);
  BOOST_TEST(gate.shard_first == r * dims.experts / P);
  BOOST_TEST(gate.shape[0] == dims.experts / P);
  BOOST_TEST((gate.full_shape == std::vector<int64_t>{dims.experts, dims.expert_hidden, dims.d_model}));

  shard.initialize(7, 1.0);
  const auto params = shard.parameters();
  for (const auto& t : table.tensors())
    BOOST_TEST(std::equal(params.begin() + t.offset, params.begin() + t.offset + t.size,
                          initial.begin() + offset_in_whole(t, whole)),
               t.name << " starts as the one-process model's rows");

  // As the trainer does with P data-parallel ranks that split the experts P ways: the global target
  // count, the replicated part summed over the world; each expert's gradient lies on one rank only.
  const int64_t first = 2 * r;
  const int32_t* my_targets = targets.data() + first * T;
  double global = double(std::count_if(my_targets, my_targets + 2 * T, [](int32_t t) { return t >= 0; }));
  w.allreduce_sum(&global, 1);
  shard.zero_grad();
  shard.forward_backward(tokens.data() + first * T, my_targets, 2, T, 1.0 / global);
  gradients.allreduce_sum(shard.grads(), size_t(table.replicated_total()));
  const auto got = shard.gradients();
  for (const auto& t : table.tensors()) {
    const float* want = expected.data() + offset_in_whole(t, whole);
    double worst = 0;
    for (int64_t i = 0; i < t.size; ++i)
      worst = std::max(worst, std::abs(double(got[size_t(t.offset + i)]) - want[i]) / (1e-6 + 1e-4 * std::abs(want[i])));
    BOOST_TEST(worst <= 1.0, t.name << ": worst error " << worst << " of its bound");
  }
}

BOOST_AUTO_TEST_CASE(gather_brings_every_ranks_bytes_to_the_root_in_rank_order) {
  auto& w = world();
  // More than one 64 MiB piece, so the pieces' placement is checked too.
  const size_t bytes = (size_t{64} << 20) + 3;
  std::vector<uint8_t> mine(bytes);
  for (size_t i = 0; i < bytes; ++i) mine[i] = uint8_t((i * 7 + size_t(w.rank()) * 13) & 0xff);
  for (int root : {0, w.size() - 1}) {
    const auto all = w.gather(mine.data(), bytes, root);
    if (w.rank() != root) {
      BOOST_TEST(all.empty());
      continue;
    }
    BOOST_TEST_REQUIRE(all.size() == bytes * size_t(w.size()));
    bool same = true;
    for (int r = 0; r < w.size(); ++r)
      for (size_t i = 0; i < bytes; i += 4093)
        same = same && all[size_t(r) * bytes + i] == uint8_t((i * 7 + size_t(r) * 13) & 0xff);
    for (int r = 0; r < w.size(); ++r)
      same = same && all[size_t(r) * bytes + bytes - 1] == uint8_t(((bytes - 1) * 7 + size_t(r) * 13) & 0xff);
    BOOST_TEST(same);
  }
}

BOOST_AUTO_TEST_SUITE_END()
