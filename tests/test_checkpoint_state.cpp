// Whole checkpoint tensors from expert shards and back: the tensors two expert-parallel ranks put
// together equal those of one rank holding every expert, and each shard takes back exactly its
// experts' rows of them (indexed here by hand from the tensor shapes).
#define BOOST_TEST_MODULE checkpoint_state
#include <boost/test/unit_test.hpp>

#include <numeric>

#include "checkpoint/checkpoint_file.hpp"
#include "model/parameter_table.hpp"
#include "train/checkpoint_state.hpp"

using moelaw::model::ExpertShard;
using moelaw::model::ModelDims;
using moelaw::model::ParameterTable;
using moelaw::train::OptimizerValues;

namespace {

ModelDims moe_dims() {
  ModelDims dims{16, 2, 2, 8, 50, 8};
  dims.experts = 4;
  dims.expert_choices = 1;
  return dims;
}

// Distinct values everywhere, different for the weights and each moment.
OptimizerValues numbered(int64_t n, float base) {
  OptimizerValues v{std::vector<float>(size_t(n)), std::vector<float>(size_t(n)), std::vector<float>(size_t(n))};
  std::iota(v.params.begin(), v.params.end(), base);
  std::iota(v.m.begin(), v.m.end(), base + 1e6f);
  std::iota(v.v.begin(), v.v.end(), base + 2e6f);
  return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_expert_shards_write_and_read_the_tensors_of_one_rank) {
  const auto dims = moe_dims();
  const ParameterTable whole = moelaw::model::dense_parameter_table(dims);
  const ParameterTable shard0 = moelaw::model::dense_parameter_table(dims, ExpertShard{0, 2});
  const ParameterTable shard1 = moelaw::model::dense_parameter_table(dims, ExpertShard{2, 2});
  BOOST_TEST(shard0.full_total() == whole.total());
  BOOST_TEST(shard0.replicated_total() == whole.replicated_total());

  const OptimizerValues all = numbered(whole.total(), 0.0f);
  moelaw::checkpoint::CheckpointData one_rank;
  moelaw::train::put_tensors(whole, all, {}, 1, one_rank);

  // Each shard's values, cut by hand from the one-rank buffer: replicated part whole, each expert
  // tensor's rows of its experts.
  auto cut = [&](const ParameterTable& shard) {
    OptimizerValues mine = numbered(shard.total(), -1.0f);
    for (const auto& t : shard.tensors()) {
      const auto& full = whole.at(t.name);
      const int64_t per_row = full.size / full.shape[0], skip = t.shard_first * per_row;
      for (int64_t i = 0; i < t.size; ++i) {
        mine.params[size_t(t.offset + i)] = all.params[size_t(full.offset + skip + i)];
        mine.m[size_t(t.offset + i)] = all.m[size_t(full.offset + skip + i)];
        mine.v[size_t(t.offset + i)] = all.v[size_t(full.offset + skip + i)];
      }
    }
    return mine;
  };
  const OptimizerValues part0 = cut(shard0), part1 = cut(shard1);
  // What the expert group's gather hands rank 0: each rank's expert region, in rank order.
  OptimizerValues gathered;
  const auto r = size_t(shard0.replicated_total());
  for (const auto* p : {&part0, &part1}) {
    gathered.params.insert(gathered.params.end(), p->params.begin() + r, p->params.end());
    gathered.m.insert(gathered.m.end(), p->m.begin() + r, p->m.end());
    gathered.v.insert(gathered.v.end(), p->v.begin() + r, p->v.end());
  }
  moelaw::checkpoint::CheckpointData two_ranks;
  moelaw::train::put_tensors(shard0, part0, gathered, 2, two_ranks);
  BOOST_TEST(two_ranks.floats.size() == one_rank.floats.size());
  for (const auto& [name, array] : one_rank.floats) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST((two_ranks.floats.at(name).shape == array.shape));
      BOOST_TEST((two_ranks.floats.at(name).data == array.data));
    }
  }

  const auto back0 = moelaw::train::take_tensors(shard0, one_rank, "one-rank.h5");
  const auto back1 = moelaw::train::take_tensors(shard1, one_rank, "one-rank.h5");
  BOOST_TEST((back0.params == part0.params && back0.m == part0.m && back0.v == part0.v));
  BOOST_TEST((back1.params == part1.params && back1.m == part1.m && back1.v == part1.v));
}

BOOST_AUTO_TEST_CASE(a_missing_or_wrongly_sized_tensor_names_file_and_tensor) {
  const auto dims = moe_dims();
  const ParameterTable table = moelaw::model::dense_parameter_table(dims);
  moelaw::checkpoint::CheckpointData d;
  moelaw::train::put_tensors(table, numbered(table.total(), 0.0f), {}, 1, d);
  auto broken = d;
  broken.floats.erase("adam_v/blocks.1.experts_w_down");
  BOOST_CHECK_EXCEPTION(moelaw::train::take_tensors(table, broken, "ck.h5"), moelaw::checkpoint::CorruptCheckpoint,
                        [](const auto& e) {
                          return std::string(e.what()) == "ck.h5: no tensor adam_v/blocks.1.experts_w_down";
                        });
  broken = d;
  broken.floats.at("params/lm_head").data.pop_back();
  BOOST_CHECK_EXCEPTION(moelaw::train::take_tensors(table, broken, "ck.h5"), moelaw::checkpoint::CorruptCheckpoint,
                        [](const auto& e) { return std::string(e.what()).find("params/lm_head has") != std::string::npos; });
}
