// Checkpoint tensors written tensor by tensor from expert shards on real ranks (CTest runs 2):
// the file two expert-parallel ranks write holds the same whole tensors as one rank holding every
// expert, and each shard takes back exactly its experts' rows of them (indexed here by hand from
// the tensor shapes). A write that fails on the writer still lets the other rank finish.
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <numeric>

#include "checkpoint/checkpoint_file.hpp"
#include "model/parameter_table.hpp"
#include "support/shared_instances.hpp"
#include "train/checkpoint_state.hpp"

BOOST_AUTO_TEST_SUITE(test_mpi_checkpoint_state)

using moelaw::checkpoint::CheckpointWriter;
using moelaw::model::ExpertShard;
using moelaw::model::ModelDims;
using moelaw::model::ParameterTable;
using moelaw::testing::world;
using moelaw::train::OptimizerValues;

namespace {

ModelDims moe_dims() {
  ModelDims dims{16, 2, 2, 8, 50, 8};
  dims.experts = 4;
  dims.expert_choices = 1;
  dims.expert_hidden = 48;
  return dims;
}

// Distinct values everywhere, different for the weights and each moment.
OptimizerValues numbered(int64_t n) {
  OptimizerValues v{std::vector<float>(size_t(n)), std::vector<float>(size_t(n)), std::vector<float>(size_t(n))};
  std::iota(v.params.begin(), v.params.end(), 0.0f);
  std::iota(v.m.begin(), v.m.end(), 1e6f);
  std::iota(v.v.begin(), v.v.end(), 2e6f);
  return v;
}

// A shard's values cut by hand from the one-rank buffer: the replicated part whole, each expert
// tensor's rows of the shard's experts.
OptimizerValues cut(const ParameterTable& whole, const OptimizerValues& all, const ParameterTable& shard) {
  OptimizerValues mine{std::vector<float>(size_t(shard.total()), -1.0f), std::vector<float>(size_t(shard.total())),
                       std::vector<float>(size_t(shard.total()))};
  for (const auto& t : shard.tensors()) {
    const auto& full = whole.at(t.name);
    const int64_t skip = t.shard_first * (full.size / full.shape[0]);
    for (int64_t i = 0; i < t.size; ++i) {
      mine.params[size_t(t.offset + i)] = all.params[size_t(full.offset + skip + i)];
      mine.m[size_t(t.offset + i)] = all.m[size_t(full.offset + skip + i)];
      mine.v[size_t(t.offset + i)] = all.v[size_t(full.offset + skip + i)];
    }
  }
  return mine;
}

// The directory rank 0 made, known to every rank.
std::string shared_temp_dir() {
  char name[64] = {};
  if (world().rank() == 0) {
    char t[] = "/tmp/moelaw-ckpt-XXXXXX";
    std::snprintf(name, sizeof name, "%s", mkdtemp(t));
  }
  world().broadcast(name, sizeof name, 0);
  return name;
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_expert_shards_write_and_read_the_tensors_of_one_rank) {
  BOOST_TEST_REQUIRE(world().size() == 2);
  const int rank = world().rank();
  const auto dims = moe_dims();
  const ParameterTable whole = moelaw::model::dense_parameter_table(dims);
  const ParameterTable shard = moelaw::model::dense_parameter_table(dims, ExpertShard{2 * rank, 2});
  BOOST_TEST(shard.full_total() == whole.total());
  BOOST_TEST(shard.replicated_total() == whole.replicated_total());
  BOOST_TEST(shard.total() < whole.total());
  const OptimizerValues all = numbered(whole.total());
  const OptimizerValues mine = cut(whole, all, shard);
  const std::string dir = shared_temp_dir();

  if (rank == 0) {
    CheckpointWriter one(dir + "/one.h5", "");
    moelaw::train::write_tensors(whole, all, nullptr, &one);
    one.commit();
  }
  {
    std::unique_ptr<CheckpointWriter> two;
    if (rank == 0) two = std::make_unique<CheckpointWriter>(dir + "/two.h5", "");
    moelaw::train::write_tensors(shard, mine, &world(), two.get());
    if (two) two->commit();
  }
  world().barrier();

  const auto one_rank = moelaw::checkpoint::read_checkpoint(dir + "/one.h5");
  const auto two_ranks = moelaw::checkpoint::read_checkpoint(dir + "/two.h5");
  BOOST_TEST(one_rank.floats.size() == 3 * whole.tensors().size());
  BOOST_TEST(two_ranks.floats.size() == one_rank.floats.size());
  for (const auto& [name, array] : one_rank.floats) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST_REQUIRE(two_ranks.floats.count(name) == 1u);
      BOOST_TEST((two_ranks.floats.at(name).shape == array.shape));
      BOOST_TEST((two_ranks.floats.at(name).data == array.data));
    }
  }
  // The one-rank file holds the numbered buffer itself.
  const auto& wq = whole.at("blocks.1.wq");
  const auto& stored = one_rank.floats.at("adam_m/blocks.1.wq").data;
  BOOST_TEST((stored == std::vector<float>(all.m.begin() + wq.offset, all.m.begin() + wq.offset + wq.size)));

  const auto back = moelaw::train::take_tensors(shard, moelaw::checkpoint::CheckpointReader(dir + "/one.h5"), "one.h5");
  BOOST_TEST((back.params == mine.params && back.m == mine.m && back.v == mine.v));
  world().barrier();
  if (rank == 0) std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_failed_write_on_the_writer_still_ends_on_every_rank) {
  const int rank = world().rank();
  auto dims = moe_dims();
  dims.expert_hidden = 1024;  // expert tensors of 256 KiB: HDF5 writes them through, not buffered
  const ParameterTable whole = moelaw::model::dense_parameter_table(dims);
  const ParameterTable shard = moelaw::model::dense_parameter_table(dims, ExpertShard{2 * rank, 2});
  const OptimizerValues mine = cut(whole, numbered(whole.total()), shard);
  const std::string dir = shared_temp_dir();
  bool threw = false;
  {
    std::unique_ptr<CheckpointWriter> out;
    if (rank == 0) out = std::make_unique<CheckpointWriter>(dir + "/c.h5", "");
    // The writer's file may not grow past 16 KiB (as `ulimit -f` would set it): the first big
    // tensor fails, and the gathers of the experts that come after it must still happen.
    rlimit before{};
    getrlimit(RLIMIT_FSIZE, &before);
    if (rank == 0) {
      std::signal(SIGXFSZ, SIG_IGN);
      rlimit small{16 * 1024, before.rlim_max};
      setrlimit(RLIMIT_FSIZE, &small);
    }
    try {
      moelaw::train::write_tensors(shard, mine, &world(), out.get());
      if (out) out->commit();
    } catch (const std::runtime_error& e) {
      threw = true;
      BOOST_TEST(std::string(e.what()).find(dir + "/c.h5") != std::string::npos, e.what());
    }
    if (rank == 0) setrlimit(RLIMIT_FSIZE, &before);
  }
  BOOST_TEST(threw == (rank == 0));
  world().barrier();
  if (rank == 0) {
    int files = 0;
    for (auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file();
    BOOST_TEST(files == 0);  // neither the checkpoint nor its temporary
    std::filesystem::remove_all(dir);
  }
}

BOOST_AUTO_TEST_CASE(a_missing_or_wrongly_sized_tensor_names_file_and_tensor) {
  if (world().rank() != 0) return;
  const ParameterTable table = moelaw::model::dense_parameter_table(moe_dims());
  const OptimizerValues all = numbered(table.total());
  moelaw::checkpoint::CheckpointData d;
  for (const auto& t : table.tensors()) {
    d.floats["params/" + t.name] = {t.shape, std::vector<float>(all.params.begin() + t.offset,
                                                                all.params.begin() + t.offset + t.size)};
    d.floats["adam_m/" + t.name] = d.floats["params/" + t.name];
    d.floats["adam_v/" + t.name] = d.floats["params/" + t.name];
  }
  char t[] = "/tmp/moelaw-ckpt-XXXXXX";
  const std::string dir = mkdtemp(t), path = dir + "/ck.h5";
  auto take = [&](const moelaw::checkpoint::CheckpointData& data) {
    moelaw::checkpoint::write_checkpoint(path, data);
    return moelaw::train::take_tensors(table, moelaw::checkpoint::CheckpointReader(path), "ck.h5");
  };
  BOOST_TEST((take(d).params == all.params));
  auto broken = d;
  broken.floats.erase("adam_v/blocks.1.experts_w_down");
  BOOST_CHECK_EXCEPTION(take(broken), moelaw::checkpoint::CorruptCheckpoint, [](const auto& e) {
    return std::string(e.what()) == "ck.h5: no tensor adam_v/blocks.1.experts_w_down";
  });
  broken = d;
  broken.floats.at("params/lm_head").data.pop_back();
  broken.floats.at("params/lm_head").shape = {int64_t(broken.floats.at("params/lm_head").data.size())};
  BOOST_CHECK_EXCEPTION(take(broken), moelaw::checkpoint::CorruptCheckpoint,
                        [](const auto& e) { return std::string(e.what()).find("params/lm_head has") != std::string::npos; });
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
