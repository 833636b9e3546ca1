// render_job_script and render_template against batch scripts written out by hand: every
// placeholder, the resources of a GPU job under srun and of a CPU job under mpirun, the
// cooldown's --init-from, shell quoting of paths with quotes, and the values refused.
#include <boost/test/unit_test.hpp>

#include "common/errors.hpp"
#include "launcher/job_script.hpp"

BOOST_AUTO_TEST_SUITE(test_job_script)

using namespace moelaw::launcher;

namespace {

const char* kTemplate =
    "#SBATCH --time=@TIME_LIMIT@\n#SBATCH --signal=B:USR1@@SIGNAL_SECONDS@\n@SBATCH_RESOURCES@"
    "m=@MOELAW@ c=@CONFIG@ r=@RUN_DIR@ e=@EXIT_RECORD@ i=(@INIT_FROM@) w=@WORKDIR@\n@ENVIRONMENT@"
    "@LAUNCH@ run @RUN@\n";

Experiment experiment(Resources resources) {
  Experiment e;
  e.name = "e";
  e.resources = std::move(resources);
  return e;
}

PlannedRun cooldown() {
  PlannedRun r;
  r.name = "m_D640";
  r.init_from = "m_trunk";
  r.start_tokens = 512;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_gpu_cooldown_under_srun) {
  Resources res;
  res.ranks = 4;
  res.gpus_per_node = 2;
  res.partition = "gpu-a";
  res.account = "proj_1";
  res.time_limit = "01:30:00";
  res.hdf5_no_file_locking = true;
  res.launcher = "srun";
  ExperimentDir dir("/x/exp");
  auto text = render_job_script(kTemplate, "t.sh", experiment(res), cooldown(), dir, {"/opt/it's/moelaw", "/home/u", 300});
  BOOST_TEST(text ==
             "#SBATCH --time=01:30:00\n#SBATCH --signal=B:USR1@300\n"
             "#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=2\n#SBATCH --gpus-per-node=2\n"
             "#SBATCH --partition=gpu-a\n#SBATCH --account=proj_1\n"
             "m='/opt/it'\\''s/moelaw' c='/x/exp/configs/m_D640.toml' r='/x/exp/runs/m_D640' "
             "e='/x/exp/jobs/m_D640.exit' i=(--init-from '/x/exp/runs/m_trunk/checkpoints/pin-tokens-000000000512.h5') "
             "w='/home/u'\nexport HDF5_USE_FILE_LOCKING=FALSE  # resources.hdf5_no_file_locking\n"
             "srun --mpi=pmix --kill-on-bad-exit=1 run m_D640\n");
}

BOOST_AUTO_TEST_CASE(a_cpu_trunk_under_mpirun_and_one_rank_without_a_launcher) {
  Resources res;
  res.ranks = 3;
  PlannedRun trunk;
  trunk.name = "m_trunk";
  ExperimentDir dir("/x/exp/");  // the trailing slash goes
  auto three = render_job_script(kTemplate, "t.sh", experiment(res), trunk, dir, {"/bin/moelaw", "/w", 120});
  BOOST_TEST(three ==
             "#SBATCH --time=24:00:00\n#SBATCH --signal=B:USR1@120\n#SBATCH --ntasks=3\n"
             "m='/bin/moelaw' c='/x/exp/configs/m_trunk.toml' r='/x/exp/runs/m_trunk' e='/x/exp/jobs/m_trunk.exit' "
             "i=() w='/w'\nmpirun -np 3 run m_trunk\n");
  res.ranks = 1;
  auto one = render_job_script("@SBATCH_RESOURCES@[@LAUNCH@]", "t.sh", experiment(res), trunk, dir, {"/m", "/w", 1});
  BOOST_TEST(one == "#SBATCH --ntasks=1\n[]");
}

BOOST_AUTO_TEST_CASE(values_an_sbatch_line_cannot_carry_and_unknown_placeholders_are_refused) {
  Resources res;
  res.partition = "a b";
  BOOST_CHECK_EXCEPTION(render_job_script(kTemplate, "t.sh", experiment(res), cooldown(), ExperimentDir("/x"), {}),
                        moelaw::UsageError, [](const moelaw::UsageError& e) {
                          return std::string(e.what()).find("partition") != std::string::npos;
                        });
  BOOST_CHECK_EXCEPTION(render_template("a @KNOWN@ @UNKNOWN_ONE@", {{"KNOWN", "k"}}, "mine.sh"), moelaw::UsageError,
                        [](const moelaw::UsageError& e) {
                          std::string m = e.what();
                          return m.find("mine.sh") != std::string::npos && m.find("@UNKNOWN_ONE@") != std::string::npos;
                        });
  // Lower-case and lone at-signs are text, not placeholders.
  BOOST_TEST(render_template("me@host @K@ @x@", {{"K", "k"}}, "t") == "me@host k @x@");
  BOOST_TEST(shell_quote("a'b c") == "'a'\\''b c'");
}

BOOST_AUTO_TEST_SUITE_END()
