// A run directory survives what a weekend-long grid meets: a corrupt metrics.h5 never costs a
// checkpoint; a second trainer on a live run is refused (a lock that dies with the trainer, kill -9
// of the submitter included); an edited checkpoint scalar fails its checksum while checkpoints
// of format version 1 still resume; half-written temporaries are removed on resume; a resume with
// another configuration is refused naming the keys. The reference is the uninterrupted run.
#include <boost/test/unit_test.hpp>

#include <hdf5.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "support/interrupted_run.hpp"
#include "support/tiny_experiment.hpp"
#include "support/tiny_run.hpp"
#include "train/run_dir.hpp"
#include "train/run_lock.hpp"

BOOST_AUTO_TEST_SUITE(test_run_hardening)

namespace fs = std::filesystem;
using namespace moelaw::testing;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Rewrites an int64 attribute of the file's root group in place, as an editor of the file would.
void set_int_attribute(const std::string& path, const char* name, int64_t value) {
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  BOOST_TEST_REQUIRE(f >= 0);
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  BOOST_TEST_REQUIRE(a >= 0);
  BOOST_TEST_REQUIRE(H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0);
  H5Aclose(a);
  H5Fclose(f);
}

// A checkpoint as format version 1 wrote it: the same file without the attributes' checksum.
void make_version_1(const std::string& path) {
  set_int_attribute(path, "format_version", 1);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  BOOST_TEST_REQUIRE(H5Adelete(f, "attributes_crc32") >= 0);
  H5Fclose(f);
}

std::vector<double> tail(const std::vector<double>& v, size_t from) { return {v.begin() + long(from), v.end()}; }

}  // namespace

BOOST_AUTO_TEST_CASE(corrupt_metrics_never_costs_a_checkpoint) {
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, 5, SIGUSR1) == 75);
  moelaw::train::RunDir run(dir / "run");
  const auto checkpoints = run.checkpoints();
  BOOST_TEST_REQUIRE(checkpoints.size() == 2u);  // steps 4 and 5 (or 5 and 6)
  // The signal goes once step 5 is printed; a busy machine may let the trainer finish step 6 first.
  const int64_t stopped = moelaw::train::checkpoint_step(checkpoints.back());
  BOOST_TEST_REQUIRE(stopped >= 5);
  fs::resize_file(run.metrics_path(), fs::file_size(run.metrics_path()) / 2);
  auto r = train(args);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(!has(r.err, "skipping unreadable checkpoint"), r.err);
  BOOST_TEST(has(r.err, "unreadable metrics"), r.err);
  BOOST_TEST(has(r.err, "set aside as " + run.metrics_path() + ".unreadable-1"), r.err);
  BOOST_TEST(fs::exists(run.metrics_path() + ".unreadable-1"));
  BOOST_TEST(has(r.out, "resuming from " + checkpoints.back() + " (step " + std::to_string(stopped)), r.out);
  // The steps after it continue the restored state exactly: nothing of a fresh start mixed in.
  BOOST_TEST(train_losses(dir / "run") == tail(reference_curve(), size_t(stopped)));
  BOOST_TEST(run.checkpoints().size() == 2u);  // steps 8 and 10: retention as usual
}

BOOST_AUTO_TEST_CASE(a_second_trainer_on_a_live_run_is_refused) {
  TempDir dir;
  // Long enough to be still running while the second one tries.
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto --set train.tokens=128000";
  Process first("env OMP_NUM_THREADS=1 " + moelaw_command("train " + args));
  BOOST_TEST_REQUIRE(first.wait_for_line("step      1 "));
  auto second = train(args);
  BOOST_TEST(second.status == 2);
  BOOST_TEST(has(second.err, "is already training this run directory"), second.err);
  BOOST_TEST(has(second.err, "(pid " + std::to_string(first.pid()) + ")"), second.err);
  BOOST_TEST(!has(second.out, "step "));
  const moelaw::train::RunDir run(dir / "run");
  BOOST_TEST(moelaw::train::running_trainer(run).value_or(-1) == first.pid());
  first.signal(SIGKILL);
  BOOST_TEST(first.wait() == 128 + SIGKILL);
  BOOST_TEST(!moelaw::train::running_trainer(run).has_value());  // the lock died with it
}

BOOST_AUTO_TEST_CASE(kill_9_of_the_submitter_leaves_a_running_run_that_is_not_started_twice) {
  TempDir tmp;
  auto exp = tiny_experiment(tmp / "grid.toml", "lock-grid", tiny_model("m", "[128000]"), 2000);
  const std::string exp_dir = tmp / "exp";
  const std::string submit = "env OMP_NUM_THREADS=1 " + moelaw_command("submit " + exp + " --executor local --out " + exp_dir);
  auto run_dir = [&] {  // the one a trainer holds
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(exp_dir + "/runs", ec))
      if (moelaw::train::running_trainer(moelaw::train::RunDir(e.path().string()))) return e.path().string();
    return std::string();
  };
  Process submitter(submit);
  BOOST_TEST_REQUIRE(wait_until([&] { return !run_dir().empty(); }, 120));
  submitter.signal(SIGKILL);
  BOOST_TEST(submitter.wait() == 128 + SIGKILL);
  const moelaw::train::RunDir run(run_dir());
  const auto trainer = moelaw::train::running_trainer(run);
  BOOST_TEST_REQUIRE(trainer.has_value());  // the job script and its trainer live on
  const auto status = status_json(exp_dir);
  int found = 0;
  for (const auto& r : status["runs"])
    if (r["name"] == fs::path(run.path()).filename().string() && ++found) BOOST_TEST(r["state"] == "running", status.dump(1));
  BOOST_TEST(found == 1, status.dump(1));
  auto again = run_command(submit);
  BOOST_TEST(again.status == 2);
  BOOST_TEST(has(again.err, "is already training this run directory"), again.err);
  // Stop the orphaned trainer; its lock goes with it.
  ::kill(static_cast<pid_t>(*trainer), SIGTERM);
  BOOST_TEST(wait_until([&] { return !moelaw::train::running_trainer(run); }, 60));
}

BOOST_AUTO_TEST_CASE(an_edited_checkpoint_scalar_fails_its_checksum) {
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, 7, SIGTERM) == 75);
  moelaw::train::RunDir run(dir / "run");
  auto files = run.checkpoints();
  BOOST_TEST_REQUIRE(files.size() == 2u);  // steps 6 and 7
  set_int_attribute(files.back(), "int:data_cursor", 0);  // replay the data from the start
  auto r = train(args);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(has(r.err, "skipping unreadable checkpoint: " + files.back()), r.err);
  BOOST_TEST(has(r.err, "checksum"), r.err);
  BOOST_TEST(has(r.out, "resuming from " + files.front()), r.out);
  BOOST_TEST(train_losses(dir / "run") == reference_curve());
}

BOOST_AUTO_TEST_CASE(checkpoints_of_format_version_1_still_resume) {
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, 5, SIGUSR1) == 75);
  moelaw::train::RunDir run(dir / "run");
  const auto checkpoints = run.checkpoints();
  BOOST_TEST_REQUIRE(!checkpoints.empty());
  for (const auto& f : checkpoints) make_version_1(f);
  auto r = train(args);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(!has(r.err, "skipping"), r.err);
  BOOST_TEST(has(r.out, "resuming from " + checkpoints.back()), r.out);
  BOOST_TEST(train_losses(dir / "run") == reference_curve());
}

BOOST_AUTO_TEST_CASE(half_written_temporaries_are_removed_on_resume) {
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  // Killed while it writes the checkpoint of step 4 (or just after): whatever it left stays.
  BOOST_TEST_REQUIRE(interrupt_at(args, 4, SIGKILL) == 128 + SIGKILL);
  moelaw::train::RunDir run(dir / "run");
  // What a kill in the middle of a write leaves, for certain: half a checkpoint, half a metrics file.
  const std::string half_checkpoint = run.checkpoint_dir() + "/.step-00000006.h5.tmp-4194303";
  const std::string half_metrics = run.path() + "/.metrics.h5.tmp-4194303";
  fs::copy_file(run.checkpoints().back(), half_checkpoint);
  fs::resize_file(half_checkpoint, fs::file_size(half_checkpoint) / 2);
  fs::copy_file(run.metrics_path(), half_metrics);
  std::ofstream(run.path() + "/notes.txt") << "the user's own file\n";
  auto r = train(args);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(!fs::exists(half_checkpoint));
  BOOST_TEST(!fs::exists(half_metrics));
  BOOST_TEST(has(r.out, "removed a half-written file: " + half_checkpoint), r.out);
  BOOST_TEST(fs::exists(run.path() + "/notes.txt"));
  for (const auto& dir_path : {run.path(), run.checkpoint_dir()})
    for (const auto& e : fs::directory_iterator(dir_path))
      BOOST_TEST(!has(e.path().filename().string(), ".tmp-"), e.path());
  BOOST_TEST(train_losses(dir / "run") == reference_curve());
}

BOOST_AUTO_TEST_CASE(a_resume_with_another_configuration_is_refused) {
  TempDir dir;
  auto args = tiny_config(dir.path.string()) + " --out " + (dir / "run") + " --resume auto";
  BOOST_TEST_REQUIRE(interrupt_at(args, 3, SIGUSR1) == 75);
  moelaw::train::RunDir run(dir / "run");
  const std::string recorded = slurp(run.config_path());
  auto r = train(args + " --set train.lr=0.02 --set train.seed=7");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(has(r.err, run.config_path()), r.err);
  BOOST_TEST(has(r.err, "train.lr (0.01 there, 0.02 here)"), r.err);
  BOOST_TEST(has(r.err, "train.seed (1234 there, 7 here)"), r.err);
  BOOST_TEST(!has(r.err, "train.tokens"), r.err);
  BOOST_TEST(slurp(run.config_path()) == recorded);
  // Intervals, retention and the shard paths spelled absolute may change.
  auto ok = train(args + " --set train.log_interval_steps=2 --set checkpoint.keep_last=3 --set 'data.train=[\"" +
                  fs::absolute(test_data_dir()).string() + "/fineweb_train_*.bin\"]'");
  BOOST_TEST_REQUIRE(ok.status == 0, ok.err);
  BOOST_TEST(train_losses(dir / "run") == reference_curve());
  // A finished run given another width is not "already complete".
  auto wider = train(args + " --set model.d_model=64");
  BOOST_TEST(wider.status == 2);
  BOOST_TEST(has(wider.err, "model.d_model (32 there, 64 here)"), wider.err);
  BOOST_TEST(!has(wider.out, "already complete"), wider.out);
}

BOOST_AUTO_TEST_SUITE_END()
