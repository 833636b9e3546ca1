// Checkpoints in practice: a run stopped by SIGUSR1 or killed with SIGKILL and resumed ends with
// exactly the uninterrupted loss curve; a corrupt newest checkpoint is skipped with a warning; a
// failed checkpoint write keeps the previous one; a cooldown branched from a constant-LR trunk
// equals the standalone run bit for bit; a run resumes on another number of ranks.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <random>

#include "support/interrupted_run.hpp"
#include "support/tiny_run.hpp"
#include "train/run_dir.hpp"

BOOST_AUTO_TEST_SUITE(test_resume)

namespace fs = std::filesystem;
using namespace moelaw::testing;

BOOST_AUTO_TEST_CASE(sigusr1_then_resume_is_bit_exact) {
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, 5, SIGUSR1) == 75);  // EX_TEMPFAIL: resumable
  auto r = train(args);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.out.find("resuming from") != std::string::npos);
  auto curve = train_losses(dir / "run");
  BOOST_TEST(curve == reference_curve());  // every value, every digit
}

BOOST_AUTO_TEST_CASE(sigkill_at_a_random_step_then_resume_is_bit_exact) {
  std::mt19937 rng(std::random_device{}());
  int step = 2 + static_cast<int>(rng() % 7);
  BOOST_TEST_MESSAGE("killing at step " << step);
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, step, SIGKILL) == 128 + SIGKILL);
  auto r = train(args);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(train_losses(dir / "run") == reference_curve());
}

BOOST_AUTO_TEST_CASE(corrupt_newest_checkpoint_is_skipped) {
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, 7, SIGTERM) == 75);
  moelaw::train::RunDir run(dir / "run");
  auto files = run.checkpoints();
  BOOST_TEST_REQUIRE(files.size() == 2u);  // keep_last = 2
  fs::resize_file(files.back(), fs::file_size(files.back()) / 2);
  auto r = train(args);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.err.find("warning: skipping unreadable checkpoint") != std::string::npos);
  BOOST_TEST(r.out.find("resuming from " + files.front()) != std::string::npos);
  BOOST_TEST(train_losses(dir / "run") == reference_curve());
}

BOOST_AUTO_TEST_CASE(failed_checkpoint_write_keeps_the_previous_one) {
  TempDir dir;
  auto config = tiny_config(dir.path.string());
  auto args = config + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, 3, SIGUSR1) == 75);
  moelaw::train::RunDir run(dir / "run");
  auto before = run.checkpoints();
  BOOST_TEST_REQUIRE(!before.empty());
  auto newest = slurp(before.back());
  // A file-size limit (10 MB in 1024-byte blocks) below a checkpoint's 39 MB: the next write fails.
  auto r = run_command("ulimit -f 10000 && OMP_NUM_THREADS=1 " + moelaw_command("train " + args));
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.err.find("writing checkpoint") != std::string::npos);
  BOOST_TEST(slurp(before.back()) == newest);
  r = train(args);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(train_losses(dir / "run") == reference_curve());
}

BOOST_AUTO_TEST_CASE(cooldown_branch_equals_standalone_run) {
  TempDir dir;
  auto config = tiny_config(dir.path.string());
  // Standalone: 20 steps of 128 tokens, decay over the last 20% (from token 2048, step 16).
  auto standalone = train(config + " --out " + (dir / "standalone") + " --set train.tokens=2560");
  BOOST_TEST_REQUIRE(standalone.status == 0, standalone.err);
  // Trunk: constant LR to 2048 tokens with a pinned checkpoint there; branch: to 2560 from it.
  auto trunk = train(config + " --out " + (dir / "trunk") +
                     " --set train.tokens=2048 --set train.decay_fraction=0 --set 'checkpoint.pin_tokens=[1024, 2048]'");
  BOOST_TEST_REQUIRE(trunk.status == 0, trunk.err);
  std::string pin = dir / "trunk/checkpoints/pin-tokens-000000002048.h5";
  BOOST_TEST_REQUIRE(fs::exists(pin));
  BOOST_TEST(fs::exists(dir / "trunk/checkpoints/pin-tokens-000000001024.h5"));
  auto branch = train(config + " --out " + (dir / "branch") + " --set train.tokens=2560 --init-from " + pin);
  BOOST_TEST_REQUIRE(branch.status == 0, branch.err);
  auto whole = train_losses(dir / "standalone"), head = train_losses(dir / "trunk"), tail = train_losses(dir / "branch");
  BOOST_TEST_REQUIRE(whole.size() == 20u);
  BOOST_TEST_REQUIRE(head.size() == 16u);
  BOOST_TEST_REQUIRE(tail.size() == 4u);
  for (size_t i = 0; i < 16; ++i) BOOST_TEST(head[i] == whole[i]);
  for (size_t i = 0; i < 4; ++i) BOOST_TEST(tail[i] == whole[16 + i]);
  auto info = runinfo(dir / "branch");
  BOOST_TEST(info["final_eval_loss"].get<double>() == runinfo(dir / "standalone")["final_eval_loss"].get<double>());
  BOOST_TEST(info["summary"]["init_from"].get<std::string>() == fs::absolute(pin).string());
}

BOOST_AUTO_TEST_CASE(resume_on_another_rank_count) {
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, 4, SIGUSR1) == 75);
  auto r = train(args, 2);  // started on 1 rank, finished on 2
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto curve = train_losses(dir / "run");
  BOOST_TEST_REQUIRE(curve.size() == reference_curve().size());
  // Same batches, same state at the switch; only float32 summation order differs after it.
  for (size_t i = 0; i < curve.size(); ++i) BOOST_TEST(curve[i] == reference_curve()[i], boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_SUITE_END()
