// `moelaw submit --executor local` and `moelaw status` on a tiny grid of real runs: runs go in
// dependency order and each cooldown starts from its trunk's pinned checkpoint, which makes it
// equal, bit for bit, to the same run trained on its own from scratch (an independent reference:
// no trunk, no branch); submitting again does nothing; a grid extended with a longer length
// continues the trunk and redoes nothing; an interrupted submit resumes; names and paths from the
// user cannot reach the shell.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>

#include "support/process.hpp"
#include "support/tiny_experiment.hpp"

BOOST_AUTO_TEST_SUITE(test_submit_local)

namespace fs = std::filesystem;
using namespace moelaw::testing;

namespace {


CommandResult submit_local(const std::string& experiment, const std::string& exp_dir) {
  return run_command("OMP_NUM_THREADS=1 " + moelaw_command("submit " + experiment + " --executor local --out '" +
                                                           exp_dir + "'"));
}

double final_loss(const std::string& run_dir) { return read_json_file(run_dir + "/summary.json")["final_loss"]; }

// The run trained alone from scratch with the configuration the experiment gave it.
double standalone_final_loss(const std::string& exp_dir, const std::string& run, const TempDir& scratch) {
  auto r = train("'" + exp_dir + "/configs/" + run + ".toml' --out " + (scratch / ("alone-" + run)));
  if (r.status != 0) throw std::runtime_error("standalone " + run + ": " + r.err);
  return final_loss(scratch / ("alone-" + run));
}

fs::file_time_type mtime(const std::string& path) { return fs::last_write_time(path); }

}  // namespace

BOOST_AUTO_TEST_CASE(grid_runs_in_order_and_branches_equal_standalone_runs) {
  TempDir tmp;
  auto exp = tiny_experiment(tmp / "grid.toml", "local-grid", tiny_model("m", "[640, 1280]"));
  const std::string dir = tmp / "exp";
  auto r = submit_local(exp, dir);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);

  auto status = status_json(dir);
  BOOST_TEST(status["runs"].size() == 3u);
  BOOST_TEST(all_runs(status, "done"), status.dump(1));
  BOOST_TEST(status["tokens_done"] == status["tokens_planned"]);

  // The trunk stops where the longest length's decay starts (0.8 x 1280 on the 128-token grid)
  // and pins both branch points.
  auto trunk = read_json_file(dir + "/runs/" + kTrunk + "/summary.json");
  BOOST_TEST(trunk["tokens"] == 1024);
  for (int branch : {512, 1024}) {
    char pin[64];
    std::snprintf(pin, sizeof pin, "/checkpoints/pin-tokens-%012d.h5", branch);
    BOOST_TEST(fs::exists(dir + "/runs/" + kTrunk + pin), pin);
  }
  auto d640 = read_json_file(dir + "/runs/" + cooldown(640) + "/summary.json");
  BOOST_TEST(d640["init_from"] == dir + "/runs/" + kTrunk + "/checkpoints/pin-tokens-000000000512.h5");
  BOOST_TEST(d640["tokens"] == 640);
  auto info = runinfo(dir + "/runs/" + cooldown(640));
  BOOST_TEST(info["train_loss"].size() == 1u);  // one step: 512 -> 640

  // Branching equals training alone (decay starts exactly at the branch point).
  for (int tokens : {640, 1280}) {
    double branched = final_loss(dir + "/runs/" + cooldown(tokens));
    BOOST_TEST(branched == standalone_final_loss(dir, cooldown(tokens), tmp), "D=" << tokens);
  }

  // Submitting again starts nothing and touches no run.
  auto before = mtime(dir + "/runs/" + cooldown(640) + "/summary.json");
  auto again = submit_local(exp, dir);
  BOOST_REQUIRE_MESSAGE(again.status == 0, again.err);
  BOOST_TEST(again.out.find("running") == std::string::npos, again.out);
  BOOST_TEST((mtime(dir + "/runs/" + cooldown(640) + "/summary.json") == before));

  // collect leaves the trunk out (its LR never decayed) and says so.
  auto c = run_command(moelaw_command("collect '" + dir + "' --out " + (tmp / "runs.csv")));
  BOOST_REQUIRE_MESSAGE(c.status == 0, c.err);
  BOOST_TEST(c.err.find("constant-LR trunk") != std::string::npos, c.err);
  std::ifstream csv(tmp / "runs.csv");
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  BOOST_TEST(lines == 3);  // header + two cooldowns
}

BOOST_AUTO_TEST_CASE(extended_grid_continues_the_trunk) {
  TempDir tmp;
  const std::string dir = tmp / "exp";
  auto short_grid = tiny_experiment(tmp / "short.toml", "grow", tiny_model("m", "[640]"));
  auto r = submit_local(short_grid, dir);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  BOOST_TEST(read_json_file(dir + "/runs/" + kTrunk + "/summary.json")["tokens"] == 512);
  auto d640_time = mtime(dir + "/runs/" + cooldown(640) + "/summary.json");

  // The plan of the longer grid says the trunk goes on to 1024 tokens.
  auto long_grid = tiny_experiment(tmp / "long.toml", "grow", tiny_model("m", "[640, 1280]"));
  auto plan = nlohmann::json::parse(run_command(moelaw_command("plan --json " + long_grid)).out);
  BOOST_TEST(plan["tokens_with_reuse"] == 1024 + 128 + 256);
  BOOST_TEST(plan["tokens_without_reuse"] == 640 + 1280);
  // Against what is on disk: the trunk goes on from 512, the old cooldown is done.
  auto left = nlohmann::json::parse(run_command(moelaw_command("plan --json " + long_grid + " --exp-dir " + dir)).out);
  BOOST_TEST(left["tokens_left"] == (1024 - 512) + 256);
  BOOST_TEST(left["runs"][0]["tokens_done"] == 512);
  BOOST_TEST(left["runs"][1]["tokens_left"] == 0);

  auto before = status_json(dir);  // status reads the plan submitted last: still the short one
  BOOST_TEST(all_runs(before, "done"));
  r = submit_local(long_grid, dir);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  BOOST_TEST(all_runs(status_json(dir), "done"));

  std::string log;
  for (auto& e : fs::directory_iterator(dir + "/logs"))
    if (e.path().filename().string().rfind(kTrunk, 0) == 0) log += slurp(e.path().string());
  BOOST_TEST(log.find("extending the complete constant-LR run from 512 to 1024 tokens") != std::string::npos, log);
  BOOST_TEST(log.find("resuming from") != std::string::npos);
  BOOST_TEST((mtime(dir + "/runs/" + cooldown(640) + "/summary.json") == d640_time));  // not redone
  // The trunk's loss curve has one entry per step of the whole 1024 tokens, in order.
  auto info = runinfo(dir + "/runs/" + kTrunk);
  BOOST_TEST(info["train_loss"].size() == 8u);
  // The new length's cooldown equals its standalone run.
  BOOST_TEST(final_loss(dir + "/runs/" + cooldown(1280)) == standalone_final_loss(dir, cooldown(1280), tmp));
}

BOOST_AUTO_TEST_CASE(interrupted_submit_resumes_where_it_stopped) {
  TempDir tmp;
  auto exp = tiny_experiment(tmp / "grid.toml", "interrupt", tiny_model("m", "[3200]"));
  const std::string dir = tmp / "exp";
  {
    Process p("env OMP_NUM_THREADS=1 " + moelaw_command("submit " + exp + " --executor local --out " + dir));
    bool checkpointed = wait_until([&] { return fs::exists(dir + "/runs/" + kTrunk + "/checkpoints/step-00000004.h5"); }, 120);
    BOOST_REQUIRE(checkpointed);
    p.signal(SIGINT);
    BOOST_TEST(p.wait() == 75, p.output());
    BOOST_TEST(p.output().find("stopped after a checkpoint") != std::string::npos, p.output());
  }
  auto status = status_json(dir);
  BOOST_TEST(status["runs"][0]["state"] == "preempted", status.dump(1));
  BOOST_TEST(status["runs"][1]["state"] == "planned");
  BOOST_TEST(status["runs"][0]["tokens_done"].get<int>() < 2560);

  auto r = submit_local(exp, dir);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  BOOST_TEST(all_runs(status_json(dir), "done"));
  BOOST_TEST(final_loss(dir + "/runs/" + cooldown(3200)) == standalone_final_loss(dir, cooldown(3200), tmp));
}

BOOST_AUTO_TEST_CASE(names_and_paths_cannot_reach_the_shell) {
  TempDir tmp;
  const std::string marker = tmp / "pwned";
  // A model name with a command substitution is rejected with file, line and key.
  auto bad = tiny_experiment(tmp / "bad.toml", "bad", tiny_model("x$(touch " + marker + ")", "[256]"));
  for (const char* cmd : {"plan ", "submit --executor local --out x "}) {
    auto r = run_command(moelaw_command(std::string(cmd) + bad));
    BOOST_TEST(r.status == 2, cmd);
    BOOST_TEST(r.err.find("bad.toml:") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("models.name") != std::string::npos, r.err);
  }
  BOOST_TEST(!fs::exists(tmp / "x"));
  // An experiment directory whose path holds quotes, spaces and a command substitution runs
  // normally: every path in the batch script is quoted.
  auto ok = tiny_experiment(tmp / "ok.toml", "quoted", tiny_model("m", "[256]"));
  const std::string weird = tmp / "exp $(touch pwned) 'q\" `touch pwned`";
  auto dry = run_command(moelaw_command("submit " + ok + " --executor local --dry-run --out \"" +
                                        std::string(tmp / "exp \\$(touch pwned) 'q\\\" \\`touch pwned\\`") + "\""));
  BOOST_TEST(dry.status == 0, dry.err);
  BOOST_TEST(!fs::exists(weird), "--dry-run wrote nothing");
  auto r = run_command("cd " + tmp.path.string() + " && OMP_NUM_THREADS=1 " +
                       moelaw_command("submit " + ok + " --executor local --out \"" +
                                      std::string(tmp / "exp \\$(touch pwned) 'q\\\" \\`touch pwned\\`") + "\""));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  BOOST_TEST(fs::exists(weird + "/runs/" + kTrunk + "/summary.json"));
  BOOST_TEST(!fs::exists(tmp / "pwned"));
  BOOST_TEST(!fs::exists(weird + "/pwned"));
  // Status of a directory that was never submitted to is a usage error.
  BOOST_TEST(run_command(moelaw_command("status " + (tmp / "nowhere"))).status == 2);
}

BOOST_AUTO_TEST_CASE(batch_scripts_ask_for_what_the_run_needs) {
  TempDir tmp;
  auto exp = tiny_experiment(tmp / "grid.toml", "render", tiny_model("m", "[640, 1280]"), 2,
                             "ranks = 2\ntime_limit = \"01:30:00\"\npartition = \"gpu-a\"\naccount = \"proj_1\"\n"
                             "hdf5_no_file_locking = true\n");
  auto r = run_command(moelaw_command("submit " + exp + " --executor local --dry-run --signal-seconds 300 --out " +
                                      (tmp / "exp")));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  for (const char* line : {"#SBATCH --time=01:30:00", "#SBATCH --signal=B:USR1@300", "#SBATCH --requeue",
                           "#SBATCH --ntasks=2", "#SBATCH --partition=gpu-a", "#SBATCH --account=proj_1",
                           "export HDF5_USE_FILE_LOCKING=FALSE", "mpirun -np 2 \"$moelaw\" train",
                           "scontrol requeue"})
    BOOST_TEST(r.out.find(line) != std::string::npos, line);
  BOOST_TEST(r.out.find("would run: bash") != std::string::npos);
  BOOST_TEST(!fs::exists(tmp / "exp"));
  // A template with a placeholder moelaw does not know is refused, naming it.
  std::ofstream(tmp / "bad.sh") << "#!/bin/bash\n@MOELAW@ @NO_SUCH_THING@\n";
  auto bad = run_command(moelaw_command("submit " + exp + " --executor local --dry-run --template " + (tmp / "bad.sh") +
                                        " --out " + (tmp / "exp")));
  BOOST_TEST(bad.status == 2);
  BOOST_TEST(bad.err.find("@NO_SUCH_THING@") != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_SUITE_END()
