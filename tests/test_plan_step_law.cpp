// `moelaw plan` with the LR and batch size of a fitted lr-bs law (`[experiment] lr_bs_law`): each
// length of an lr = "auto" model gets its own trunk, the law's LR (computed here from the
// coefficients and the parameter count written out by hand) and its batch size in whole
// sequences; fixed-LR models keep their shared trunk; a bad coefficients file names its key.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "common/errors.hpp"
#include "launcher/plan.hpp"

BOOST_AUTO_TEST_SUITE(test_plan_step_law)

using namespace moelaw::launcher;
namespace fs = std::filesystem;

namespace {

struct Dir {
  fs::path path = fs::temp_directory_path() / ("moelaw-step-law-" + std::to_string(::getpid()));
  Dir() { fs::create_directories(path); }
  ~Dir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

const char* kExperiment =
    "[experiment]\nname = \"sl\"\nlr_bs_law = \"fit/coefficients.json\"\n"
    "[run.model]\nseq_len = 256\n[run.train]\nwarmup_tokens = 1000\n"
    "[[models]]\nname = \"auto\"\nd_model = 512\ntokens = [1_000_000_000, 4_000_000_000]\n"
    "[[models]]\nname = \"fixed\"\nd_model = 512\nlr = 0.002\ntokens = [1_000_000_000, 4_000_000_000]\n";

}  // namespace

BOOST_AUTO_TEST_CASE(lengths_get_the_laws_lr_and_batch) {
  Dir dir;
  fs::create_directories(dir.path / "fit");
  dir.write("fit/coefficients.json",
            R"({"law": "lr-bs", "coefficients": {"eta0": 2.0, "eta_n": -0.7, "eta_d": 0.3, "b0": 0.5, "b_d": 0.6}})");
  Plan plan = make_plan(load_experiment(dir.write("exp.toml", kExperiment)));
  const double n = 13.0 * 8 * 512 * 512;  // non-embedding: 13·n_blocks·d², 8 blocks of 512
  int trunks = 0;
  for (const PlannedRun& r : plan.runs) {
    if (r.model == "fixed") {
      BOOST_TEST(r.lr == 0.002);
      if (r.role == "cooldown") BOOST_TEST(r.init_from == "fixed_lr-0.002_s1234_trunk");
      continue;
    }
    BOOST_TEST(r.n_act_nonembedding == n);
    const double length = r.model == "auto_D1000000000" ? 1e9 : 4e9;
    BOOST_TEST((r.model == "auto_D1000000000" || r.model == "auto_D4000000000"), r.model);
    BOOST_TEST(r.lr == 2.0 * std::pow(n, -0.7) * std::pow(length, 0.3), boost::test_tools::tolerance(1e-12));
    const double batch = std::max(1.0, std::round(0.5 * std::pow(length, 0.6) / 256)) * 256;
    BOOST_REQUIRE_EQUAL(r.batch_ramp.size(), 1u);
    BOOST_TEST(r.batch_ramp[0].second == static_cast<int64_t>(batch));
    trunks += r.role == "trunk";
  }
  BOOST_TEST(trunks == 2);  // one per length: the LRs differ
  BOOST_TEST(plan.runs.size() == 4u + 3u);  // auto: 2 × (trunk + cooldown); fixed: trunk + 2 cooldowns
}

BOOST_AUTO_TEST_CASE(bad_coefficients_name_the_key) {
  Dir dir;
  fs::create_directories(dir.path / "fit");
  dir.write("fit/coefficients.json", R"({"law": "lr", "coefficients": {"c0": 1}})");
  try {
    load_experiment(dir.write("exp.toml", kExperiment));
    BOOST_FAIL("expected a UsageError");
  } catch (const moelaw::UsageError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("exp.toml:3: key 'experiment.lr_bs_law'") != std::string::npos, what);
  }
  fs::remove(dir.path / "fit/coefficients.json");
  BOOST_CHECK_THROW(load_experiment(dir.write("exp.toml", kExperiment)), moelaw::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
