// `moelaw submit` checks every run's inputs before it writes or queues anything (issue 20):
// a grid with a missing shard, a shard whose ids the vocabulary does not hold, a directory
// where a shard should be, an experiment directory that cannot be made: exit 2 naming the run
// and the glob or file, nothing written, no job queued (with SLURM as with the local executor).
// Relative data globs are written absolute into each job's configuration, so they match the
// same shards from any directory.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>

#include "config/run_config.hpp"
#include "support/own_shards.hpp"
#include "support/run_command.hpp"
#include "support/tiny_run.hpp"

BOOST_AUTO_TEST_SUITE(test_submit_checks)

namespace fs = std::filesystem;
using namespace moelaw::testing;

namespace {

const std::string kTrunk = "m_lr-0.01_s1234_trunk";

}  // namespace

// Not file-local: the test cases derive from it (a base in an anonymous namespace warns once
// the file is part of a unity-built test program).
struct Grid {
  TempDir tmp;
  Grid() {
    fs::create_directories(tmp / "shards");
    write_test_shard(tmp / "shards/x_val_000000.bin", 400, 50256);
    write_test_shard(tmp / "shards/x_train_000001.bin", 2000, 50256);
  }
  // moelaw submit, run in the grid's directory (where the relative globs are).
  CommandResult submit(const std::string& grid, const std::string& args) const {
    return run_command("cd '" + tmp.path.string() + "' && " + moelaw_command("submit " + grid + " " + args));
  }
};


BOOST_FIXTURE_TEST_CASE(a_missing_shard_is_exit_2_naming_the_run_and_the_glob_and_nothing_is_queued, Grid) {
  auto grid = grid_over(tmp / "grid.toml", "missing", "shards/x_train_*.bin", "shards/nothing_val_*.bin");
  for (const char* how : {"--executor local", "--executor local --dry-run", "--executor slurm",
                          "--executor slurm --dry-run"}) {
    auto r = submit(grid, std::string(how) + " --out exp");
    BOOST_TEST(r.status == 2, how << ": " << r.out << r.err);
    BOOST_TEST(r.err.find("run " + kTrunk) != std::string::npos, r.err);
    BOOST_TEST(r.err.find("data.val") != std::string::npos, r.err);
    BOOST_TEST(r.err.find(tmp / "shards/nothing_val_*.bin") != std::string::npos, r.err);
    BOOST_TEST(r.out.find("submitted") == std::string::npos, r.out);
    BOOST_TEST(r.out.find("running") == std::string::npos, r.out);
    BOOST_TEST(!fs::exists(tmp / "exp"), how);  // no plan, no configuration, no script, no job
  }
}

BOOST_FIXTURE_TEST_CASE(runs_already_done_need_no_data, Grid) {
  // [640] on the 128-token grid: the trunk stops where the decay starts (0.8 x 640 = 512).
  auto grid = grid_over(tmp / "grid.toml", "done", "shards/x_train_*.bin", "shards/gone_val_*.bin");
  for (auto [run, tokens] : {std::pair<std::string, int>{kTrunk, 512}, {"m_lr-0.01_s1234_D640", 640}}) {
    fs::create_directories(tmp / ("exp/runs/" + run));
    std::ofstream(tmp / ("exp/runs/" + run + "/summary.json")) << "{\"complete\": true, \"tokens\": " << tokens << "}";
  }
  auto r = submit(grid, "--executor local --out exp");
  BOOST_TEST(r.status == 0, r.out << r.err);
  BOOST_TEST(r.out.find(kTrunk + std::string(44 - kTrunk.size(), ' ') + " done") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("running") == std::string::npos, r.out);
  // One token short of its plan, the cooldown would start: its missing data is an error again.
  std::ofstream(tmp / "exp/runs/m_lr-0.01_s1234_D640/summary.json") << "{\"complete\": true, \"tokens\": 639}";
  r = submit(grid, "--executor local --out exp");
  BOOST_TEST(r.status == 2, r.out << r.err);
  BOOST_TEST(r.err.find("run m_lr-0.01_s1234_D640: data.val") != std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(shards_the_run_cannot_read_are_named, Grid) {
  // A token id past the vocabulary (model.vocab_size = 50257 by default): 60000 at token 60000 % ...
  write_test_shard(tmp / "shards/big_train_000001.bin", 70000, 60000);
  auto grid = grid_over(tmp / "big.toml", "big", "shards/big_train_*.bin", "shards/x_val_*.bin");
  auto r = submit(grid, "--executor local --out exp");
  BOOST_TEST(r.status == 2, r.err);
  BOOST_TEST(r.err.find(tmp / "shards/big_train_000001.bin") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("token id 60000 (token 60000)") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("model.vocab_size = 50257") != std::string::npos, r.err);
  // A directory that the glob matches is not a shard.
  fs::create_directories(tmp / "shards/dir_train_000001.bin");
  grid = grid_over(tmp / "dir.toml", "dir", "shards/dir_train_*.bin", "shards/x_val_*.bin");
  r = submit(grid, "--executor local --out exp");
  BOOST_TEST(r.status == 2, r.err);
  BOOST_TEST(r.err.find("a directory, not a token shard") != std::string::npos, r.err);
  // A truncated shard: its header's size does not match.
  fs::resize_file(tmp / "shards/x_train_000001.bin", 1024 + 100);
  grid = grid_over(tmp / "cut.toml", "cut", "shards/x_train_*.bin", "shards/x_val_*.bin");
  r = submit(grid, "--executor local --dry-run --out exp");
  BOOST_TEST(r.status == 2, r.err);
  BOOST_TEST(r.err.find("truncated or corrupt") != std::string::npos, r.err);
  BOOST_TEST(!fs::exists(tmp / "exp"));
}

BOOST_FIXTURE_TEST_CASE(an_experiment_directory_that_cannot_be_made_is_refused, Grid) {
  auto grid = grid_over(tmp / "grid.toml", "nodir", "shards/x_train_*.bin", "shards/x_val_*.bin");
  std::ofstream(tmp / "file") << "a file\n";
  auto r = submit(grid, "--executor local --out file/exp");
  BOOST_TEST(r.status == 2, r.err);
  BOOST_TEST(r.err.find(tmp / "file") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("not a directory") != std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(relative_globs_are_written_absolute_into_each_configuration, Grid) {
  // Relative globs, and one absolute glob that stays as it is.
  auto grid = grid_over(tmp / "grid.toml", "rel", "shards/x_train_*.bin", tmp / "shards/x_val_*.bin");
  std::ofstream(tmp / "noop.sh") << "#!/bin/bash\n# @RUN@: trains nothing\nexit 0\n";
  auto r = submit(grid, "--executor local --template noop.sh --out exp");
  BOOST_TEST(r.status == 1, r.out << r.err);  // the job finished without finishing its run
  for (const std::string& run : {kTrunk, std::string("m_lr-0.01_s1234_D640")}) {
    auto cfg = moelaw::config::load_run_config(tmp / ("exp/configs/" + run + ".toml"), {});
    BOOST_TEST(cfg.data.train == std::vector<std::string>{tmp / "shards/x_train_*.bin"}, run);
    BOOST_TEST(cfg.data.val == std::vector<std::string>{tmp / "shards/x_val_*.bin"}, run);
    // From another directory the job's globs still match the shards.
    auto matches = run_command("cd / && ls " + cfg.data.train[0]);
    BOOST_TEST(matches.out == tmp / "shards/x_train_000001.bin" + "\n", matches.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
