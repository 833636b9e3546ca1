// MoE training over real MPI ranks: one rank, two ranks with expert parallelism 2, and four ranks
// (2 data-parallel x 2 expert-parallel, each expert's gradient summed over the 2 ranks holding it)
// give the same loss curve; a run checkpointed with expert parallelism 2, each rank holding half of
// the experts, resumes on one rank and the reverse; routing statistics reach the metrics.
#include <boost/test/unit_test.hpp>

#include <csignal>

#include "support/process.hpp"
#include "support/tiny_run.hpp"

BOOST_AUTO_TEST_SUITE(test_moe_train)

using namespace moelaw::testing;

namespace {
// The tiny config with 4 experts (top-1, capacity factor 1): micro-batches of 2 sequences, so
// capacity applies to the same groups of tokens on any number of ranks.
std::string moe_config(const std::string& dir) {
  return tiny_config(dir) + " --set model.experts=4 --set model.capacity_factor=1.0 --set train.micro_batch=2";
}
}  // namespace

BOOST_AUTO_TEST_CASE(one_two_and_four_ranks_agree) {
  TempDir dir;
  auto config = moe_config(dir.path.string());
  auto r = train(config + " --out " + (dir / "p1"), 1);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.out.find("on each rank") == std::string::npos);  // one rank holds every expert
  r = train(config + " --set parallel.expert=2 --out " + (dir / "p2"), 2);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  // Each rank holds half of the experts' weights (and their gradients and moments).
  BOOST_TEST(r.out.find("on each rank: experts split over 2 ranks") != std::string::npos, r.out);
  r = train(config + " --set parallel.expert=2 --out " + (dir / "p4"), 4);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto one = train_losses(dir / "p1"), two = train_losses(dir / "p2"), four = train_losses(dir / "p4");
  BOOST_TEST_REQUIRE(one.size() == 10u);
  BOOST_TEST_REQUIRE(two.size() == one.size());
  BOOST_TEST_REQUIRE(four.size() == one.size());
  // Same tokens, same routing groups; only float32 summation order differs (gradient all-reduce,
  // expert rows arriving from other ranks): 1e-5 relative, as for the dense model.
  for (size_t i = 0; i < one.size(); ++i) {
    BOOST_TEST(two[i] == one[i], boost::test_tools::tolerance(1e-5));
    BOOST_TEST(four[i] == one[i], boost::test_tools::tolerance(1e-5));
  }
  BOOST_TEST(one.back() < one.front() - 1.0);
  auto info = runinfo(dir / "p2");
  auto dropped = info["series"]["moe/layer0/dropped_fraction"].get<std::vector<double>>();
  BOOST_TEST(dropped.size() == 10u);
  for (double f : dropped) BOOST_TEST((f >= 0 && f < 1));
  auto dropped1 = runinfo(dir / "p1")["series"]["moe/layer0/dropped_fraction"].get<std::vector<double>>();
  BOOST_TEST(dropped1 == dropped);  // identical routing decisions on 1 and 2 ranks
  double load = 0;
  for (int e = 0; e < 4; ++e) load += info["series"]["moe/layer1/load/expert" + std::to_string(e)][3].get<double>();
  BOOST_TEST(load == 1.0, boost::test_tools::tolerance(1e-12));
  const double aux = info["series"]["moe/layer0/aux_loss"][0].get<double>();
  BOOST_TEST((aux > 0 && aux < 4));  // E·Σ f·P lies in (0, E]; 1 when perfectly balanced
}

BOOST_AUTO_TEST_CASE(resume_on_another_expert_parallel_size) {
  TempDir dir;
  auto config = moe_config(dir.path.string());
  BOOST_TEST_REQUIRE(train(config + " --out " + (dir / "ref"), 1).status == 0);
  // Two ranks with expert parallelism 2, stopped after step 4 by SIGUSR1 (mpirun forwards it).
  {
    Process p("env OMP_NUM_THREADS=1 mpirun -np 2 --oversubscribe " +
              moelaw_command("train " + config + " --set parallel.expert=2 --out " + (dir / "run") + " --resume auto"));
    BOOST_TEST_REQUIRE(p.wait_for_line("step      4 "));
    p.signal(SIGUSR1);
    BOOST_TEST_REQUIRE(p.wait() == 75);
  }
  auto r = train(config + " --out " + (dir / "run") + " --resume auto", 1);  // one rank, all experts
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.out.find("resuming from") != std::string::npos);
  auto ref = train_losses(dir / "ref"), curve = train_losses(dir / "run");
  BOOST_TEST_REQUIRE(curve.size() == ref.size());
  for (size_t i = 0; i < ref.size(); ++i) BOOST_TEST(curve[i] == ref[i], boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(a_one_rank_checkpoint_resumes_split_over_two_ranks) {
  TempDir dir;
  auto config = moe_config(dir.path.string());
  BOOST_TEST_REQUIRE(train(config + " --out " + (dir / "ref"), 1).status == 0);
  {
    Process p(moelaw_command("train " + config + " --out " + (dir / "run") + " --resume auto"));
    BOOST_TEST_REQUIRE(p.wait_for_line("step      4 "));
    p.signal(SIGUSR1);
    BOOST_TEST_REQUIRE(p.wait() == 75);
  }
  auto r = train(config + " --set parallel.expert=2 --out " + (dir / "run") + " --resume auto", 2);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.out.find("resuming from") != std::string::npos);
  auto ref = train_losses(dir / "ref"), curve = train_losses(dir / "run");
  BOOST_TEST_REQUIRE(curve.size() == ref.size());
  for (size_t i = 0; i < ref.size(); ++i) BOOST_TEST(curve[i] == ref[i], boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_SUITE_END()
