// `moelaw forecast` on moelaw's own runs: a tiny grid (one constant-LR trunk, four cooldowns
// branched from it) trained by the real binary through `moelaw submit --executor local`; the law
// is fitted to the trunk and one cooldown (run directories: schedule from config.toml, held-out
// losses from metrics.h5, the cooldown's curve continued by its trunk's), and predicts the other
// cooldowns' final held-out losses from their schedules. Against an independent baseline: the
// forecast must beat "every cooldown ends where the fitted one ended". A cooldown whose trunk is
// gone exits 2 naming it.
#define BOOST_TEST_MODULE forecast_runs
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/tiny_experiment.hpp"

using namespace moelaw::testing;
namespace fs = std::filesystem;

namespace {

const std::vector<int> kLengths = {40, 60, 80, 100};  // steps of 128 tokens

struct Grid {
  TempDir tmp;
  std::string exp_dir;
  Grid() {
    std::string tokens;
    for (int s : kLengths) tokens += (tokens.empty() ? "" : ", ") + std::to_string(128 * s);
    const std::string path = tmp / "grid.toml";
    std::ofstream(path) << "[experiment]\nname = \"forecast-grid\"\n[run.model]\nhead_dim = 16\nseq_len = 16\n"
                        << "[run.data]\ntrain = \"" << test_data_dir() << "/fineweb_train_*.bin\"\n"
                        << "val = \"" << test_data_dir() << "/fineweb_val_*.bin\"\n"
                        << "[run.train]\nwarmup_tokens = 640\nbatch_ramp_tokens = [0]\nbatch_ramp_sizes = [128]\n"
                           "eval_interval_steps = 4\neval_tokens = 1024\nlog_interval_steps = 4\nbackend = \"cpu\"\n"
                        << "[run.checkpoint]\ninterval_steps = 20\nkeep_last = 1\n"
                        << "[resources]\nranks = 1\ntime_limit = \"00:10:00\"\n"
                        << tiny_model("m", "[" + tokens + "]");
    exp_dir = tmp / "exp";
    auto r = run_command("OMP_NUM_THREADS=1 " + moelaw_command("submit " + path + " --executor local --out " + exp_dir));
    if (r.status != 0) throw std::runtime_error("submit: " + r.out + r.err);
  }
  std::string run(const std::string& name) const { return exp_dir + "/runs/" + name; }
  std::string cooldown_of(int steps) const { return run(cooldown(128 * steps)); }
};

double final_loss(const std::string& run_dir) { return read_json_file(run_dir + "/summary.json")["final_loss"]; }

}  // namespace

BOOST_AUTO_TEST_CASE(trunk_and_one_cooldown_forecast_the_other_cooldowns) {
  Grid g;
  const std::string model = g.tmp / "model.json";
  auto r = run_command(moelaw_command("forecast fit " + g.run(kTrunk) + " " + g.cooldown_of(80) + " --out " + model));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.out + r.err);
  BOOST_TEST_MESSAGE(r.out);
  BOOST_TEST(r.out.find("held-out") != std::string::npos, r.out);

  std::string others;
  for (int s : {40, 60, 100}) others += " " + g.cooldown_of(s);
  r = run_command(moelaw_command("forecast predict " + model + others + " --json"));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_REQUIRE(j["curves"].size() == 3u);
  const double anchor = final_loss(g.cooldown_of(80));
  double forecast_error = 0, baseline_error = 0;
  size_t i = 0;
  for (int s : {40, 60, 100}) {
    const auto& c = j["curves"][i++];
    const double truth = final_loss(g.cooldown_of(s));  // summary.json: the last held-out loss
    // The curve runs through the trunk's evaluations to the cooldown's own last step.
    BOOST_TEST(c["steps"].back().get<long>() == s);
    BOOST_TEST(c["observed"].back().get<double>() == truth);
    BOOST_TEST(c["steps"].front().get<long>() == 4);
    const double predicted = c["predicted"].back();
    forecast_error += std::abs(predicted - truth) / truth / 3;
    baseline_error += std::abs(anchor - truth) / truth / 3;
    BOOST_TEST_MESSAGE("cooldown to step " << s << ": final held-out loss " << truth << ", forecast " << predicted
                                            << " (relative error " << std::abs(predicted - truth) / truth << ")");
  }
  BOOST_TEST_MESSAGE("mean relative error of the final losses " << forecast_error << ", baseline " << baseline_error);
  BOOST_TEST(forecast_error < 0.5 * baseline_error);
  BOOST_TEST(forecast_error < 0.02);

  // The trunk moved away: the cooldown's curve cannot be completed.
  fs::rename(g.run(kTrunk), g.run("moved"));
  r = run_command(moelaw_command("forecast predict " + model + " " + g.cooldown_of(60)));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find(g.cooldown_of(60) + ": its trunk " + g.run(kTrunk) + " (init_from ") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("is missing") != std::string::npos, r.err);
}
