// `moelaw train` on real GPT-2 tokens of real text: the loss falls, one and two MPI ranks give
// the same curve, and bad configurations or data are clear errors (exit 2).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>

#include "support/tiny_run.hpp"

BOOST_AUTO_TEST_SUITE(test_train)

using namespace moelaw::testing;

BOOST_AUTO_TEST_CASE(loss_falls_and_summary_is_written) {
  TempDir dir;
  auto r = train(tiny_config(dir.path.string()) + " --out " + (dir / "run"));
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto info = runinfo(dir / "run");
  auto losses = info["train_loss"].get<std::vector<double>>();
  BOOST_TEST_REQUIRE(losses.size() == 10u);
  BOOST_TEST(losses.front() > 10.5);  // ~ln 50257 = 10.82 at initialisation
  BOOST_TEST(losses.back() < losses.front() - 1.0);
  BOOST_TEST(info["complete"].get<bool>());
  auto s = info["summary"];
  BOOST_TEST(s["tokens"].get<int64_t>() == 1280);
  BOOST_TEST(s["n_act_nonembedding"].get<int64_t>() == 13 * 2 * 32 * 32);
  BOOST_TEST(s["final_loss"].get<double>() == info["final_eval_loss"].get<double>());
  BOOST_TEST(info["eval_loss"].size() == 3u);  // steps 4, 8 and the end
  // A complete run resumed does nothing and succeeds.
  r = train(tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out.find("already complete") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(one_and_two_ranks_agree) {
  TempDir dir;
  auto config = tiny_config(dir.path.string());
  BOOST_TEST_REQUIRE(train(config + " --out " + (dir / "p1"), 1).status == 0);
  auto r = train(config + " --out " + (dir / "p2"), 2);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  // The CPU backend's gradients are all-reduced through the MPI-staged DeviceExchange.
  BOOST_TEST(r.out.find("gradient exchange: mpi-staged") != std::string::npos);
  BOOST_TEST(runinfo(dir / "p2")["summary"]["transport"].get<std::string>() == "mpi-staged");
  auto one = train_losses(dir / "p1"), two = train_losses(dir / "p2");
  BOOST_TEST_REQUIRE(one.size() == two.size());
  // The batch is the same; only the order of float32 gradient sums differs (each rank sums its
  // half, then MPI adds the halves), about 1e-7 relative per step, carried through Adam for 10
  // steps: agreement to 1e-5 relative is far tighter than any training difference.
  for (size_t i = 0; i < one.size(); ++i) BOOST_TEST(one[i] == two[i], boost::test_tools::tolerance(1e-5));
  BOOST_TEST(runinfo(dir / "p1")["final_eval_loss"].get<double>() ==
                 runinfo(dir / "p2")["final_eval_loss"].get<double>(),
             boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(bad_configs_and_data_exit_2) {
  TempDir dir;
  auto config = tiny_config(dir.path.string());
  {  // NCCL moves GPU buffers: impossible with the CPU backend the tiny config asks for.
    auto r = train(config + " --out " + (dir / "n") + " --set parallel.transport=nccl");
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.find("'parallel.transport'") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("needs the cuda backend") != std::string::npos, r.err);
  }
  auto r = train(config + " --out " + (dir / "a") + " --set 'data.train=/nonexistent/*.bin'");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("data.train: '/nonexistent/*.bin' matches no file") != std::string::npos);
  std::ofstream(dir / "bad.bin") << std::string(2000, 'x');
  r = train(config + " --out " + (dir / "b") + " --set data.val=" + (dir / "bad.bin"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("bad.bin: not a token shard") != std::string::npos);
  r = train(config + " --out " + (dir / "c") + " --set model.d_model=33");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("model.d_model") != std::string::npos);
  BOOST_TEST(train(config + " --resume sometimes").status == 2);
  BOOST_TEST(train(dir / "missing.toml").status == 2);
  BOOST_TEST(train(config + " --out " + (dir / "d") + " --init-from " + (dir / "missing.h5")).status == 2);
  // On several ranks each says which it is, so a job's log shows where it failed. (mpirun may
  // end the other rank before it prints: at least one line.)
  r = train(config + " --out " + (dir / "e") + " --set 'data.train=/nonexistent/*.bin'", 2);
  BOOST_TEST(r.status == 2);
  BOOST_TEST((r.err.find("error: rank 0 of 2 on ") != std::string::npos ||
              r.err.find("error: rank 1 of 2 on ") != std::string::npos),
             r.err);
  BOOST_TEST(r.err.find("data.train: '/nonexistent/*.bin' matches no file") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
