// `moelaw advise` as a user runs it: the --json shape and its budget, the grid it writes that
// `moelaw plan` takes, --simulate, and the bad inputs that are exit 2 naming the row or option.
// Runs tables carry losses of Hoffmann et al.'s law (computed here, with 0.5% noise).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_advise_cli)

using moelaw::testing::moelaw_command;
using moelaw::testing::run_command;

namespace {

double hoffmann_loss(double n, double d) { return 1.69 + 406.4 / std::pow(n, 0.34) + 410.7 / std::pow(d, 0.28); }
double n_act(double d) { return 2 * d * 50257 + 13 * (d / 64) * d * d; }  // DESIGN.md, top-1

struct Files {
  std::string dir, runs, candidates;
  Files() {
    char t[] = "/tmp/moelaw-advise-cli-XXXXXX";
    dir = mkdtemp(t);
    runs = dir + "/runs.csv";
    candidates = dir + "/candidates.csv";
    std::mt19937_64 rng(11);
    std::normal_distribution<double> noise(0, 0.005);
    std::ofstream r(runs);
    r << "run_id,n_act,tokens,experts,final_loss,init_from\n";
    for (double w : {256, 384, 512})
      for (double ratio : {2, 4, 8}) {
        double n = n_act(w), d = ratio * n;
        r << "w" << w << "-r" << ratio << "," << n << "," << d << ",1," << hoffmann_loss(n, d) * std::exp(noise(rng))
          << ",w" << w << "\n";
      }
    std::ofstream c(candidates);
    c << "run_id,d_model,n_blocks,tokens,init_from\n";
    for (double w : {256, 384, 512, 640, 768, 896, 1024})
      for (double ratio : {16, 32, 64}) c << "w" << w << "-r" << ratio << "," << w << "," << w / 64 << ","
                                          << std::llround(ratio * n_act(w)) << ",w" << w << "\n";
  }
  ~Files() { std::system(("rm -rf " + dir).c_str()); }
  std::string advise(const std::string& extra) const {
    return moelaw_command("advise " + runs + " --law chinchilla --candidates " + candidates + " " + extra);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(json_lists_the_chosen_runs_within_the_budget) {
  Files f;
  auto r = run_command(f.advise("--budget 5e18 --target 1e23 --json --threads 2"));
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_REQUIRE(j["selected"].is_array());
  BOOST_REQUIRE(!j["selected"].empty());
  BOOST_TEST(j["interval_before"].is_number());
  BOOST_TEST(j["interval_after"].get<double>() < j["interval_before"].get<double>());
  double total = 0, last = j["interval_before"];
  std::set<std::string> ids;
  for (auto& s : j["selected"]) {
    BOOST_TEST(s["run_id"].get<std::string>().rfind("w", 0) == 0u);
    BOOST_TEST(ids.insert(s["run_id"].get<std::string>()).second);
    total += s["flops"].get<double>();
    BOOST_TEST(s["interval"].get<double>() <= last);
    last = s["interval"];
  }
  BOOST_TEST(total <= 5e18);
  BOOST_TEST(j["interval_after"].get<double>() == last);
  // The same seed, the same answer.
  auto again = run_command(f.advise("--budget 5e18 --target 1e23 --json --threads 2"));
  BOOST_TEST(nlohmann::json::parse(again.out)["selected"] == j["selected"]);
  // Text output names the runs too.
  auto text = run_command(f.advise("--budget 5e18 --target 1e23"));
  BOOST_TEST(text.status == 0);
  BOOST_TEST(text.out.find(j["selected"][0]["run_id"].get<std::string>()) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(simulate_reports_the_error_against_the_known_law) {
  Files f;
  std::ofstream(f.dir + "/truth.json")
      << R"({"law": "chinchilla", "coefficients": {"A": 406.4, "B": 410.7, "E": 1.69, "alpha": 0.34, "beta": 0.28}})";
  auto r = run_command(f.advise("--budget 5e18 --target 1e23 --json --threads 2 --simulate " + f.dir + "/truth.json"));
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto s = nlohmann::json::parse(r.out)["simulation"];
  // The optimum of the known law at 1e23, from the closed form: G·(C/6)^(β/(α+β)).
  const double a = 0.34, b = 0.28, c = 1e23;
  const double n = std::pow(a * 406.4 / (b * 410.7), 1 / (a + b)) * std::pow(c / 6, b / (a + b));
  BOOST_TEST(s["truth"].get<double>() == hoffmann_loss(n, c / (6 * n)), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(s["losses"].size() == nlohmann::json::parse(r.out)["selected"].size());
  // Nine small runs extrapolate badly (0.6 off); the chosen runs' simulated losses fix most of it.
  BOOST_TEST(s["error_after"].get<double>() < s["error_before"].get<double>() / 2);
}

BOOST_AUTO_TEST_CASE(grid_candidates_give_a_grid_that_plan_takes) {
  Files f;
  const std::string grid = std::string(MOELAW_SOURCE_DIR) + "/experiments/smoke/grid.toml";
  const std::string out = f.dir + "/advised.toml";
  // A runs table at the smoke grid's scale (N_act of d_model 64 with 1 and 2 blocks).
  // One of them is the grid's longest dense-d64-b1 cooldown: finished, so its trunk is trained
  // past its siblings' branch points and they pay only their own cooldowns.
  const std::string done = "dense-d64-b1_lr-0.003_s1234_D65536", trunk = "dense-d64-b1_lr-0.003_s1234_trunk";
  std::ofstream r(f.dir + "/tiny.csv");
  r << "run_id,n_act,tokens,final_loss,init_from\n";
  for (double n : {3e6, 6e6, 1.2e7, 2.4e7})
    for (double d : {1e4, 3e4, 1e5}) r << "t" << n << "-" << d << "," << n << "," << d << "," << hoffmann_loss(n, d) << ",\n";
  r << done << ",6486144,65536," << hoffmann_loss(6486144, 65536) << "," << trunk << "\n";
  r.close();
  auto a = run_command(moelaw_command("advise " + f.dir + "/tiny.csv --law chinchilla --candidates " + grid +
                                      " --budget 6e12 --target 1e16 --json --threads 2 --grid " + out));
  BOOST_TEST_REQUIRE(a.status == 0, a.err);
  auto chosen = nlohmann::json::parse(a.out)["selected"];
  BOOST_REQUIRE(!chosen.empty());
  auto plan = run_command(moelaw_command("plan " + out + " --json"));
  BOOST_TEST_REQUIRE(plan.status == 0, plan.err);
  std::set<std::string> planned;
  const auto plan_json = nlohmann::json::parse(plan.out);  // named: a temporary's ["runs"] would dangle
  for (auto& run : plan_json["runs"]) planned.insert(run["name"].get<std::string>());
  for (auto& s : chosen) BOOST_TEST(planned.count(s["run_id"].get<std::string>()) == 1u);
  BOOST_TEST(nlohmann::json::parse(a.out)["already_trained"] == 1);
  // The planner's FLOPs of each cooldown alone (6·N_act·(D − branch point)), for the dense-d64-b1 ones.
  const auto full = nlohmann::json::parse(run_command(moelaw_command("plan " + grid + " --json")).out);
  size_t siblings = 0;
  for (auto& s : chosen) {
    const std::string id = s["run_id"];
    BOOST_TEST(id != done);
    if (id.rfind("dense-d64-b1_", 0) != 0) continue;
    ++siblings;
    for (auto& run : full["runs"])
      if (run["name"] == id) BOOST_TEST(s["flops"].get<double>() == run["flops"].get<double>(), boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(siblings > 0u);
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_exit_2_naming_the_row_or_option) {
  Files f;
  {  // a candidate without a size
    std::ofstream c(f.dir + "/nosize.csv");
    c << "run_id,tokens\nok,1e9\n";
    c.close();
    std::ofstream(f.dir + "/nosize.csv", std::ios::app) << "bad,1e9\n";
    auto r = run_command(moelaw_command("advise " + f.runs + " --law chinchilla --candidates " + f.dir +
                                        "/nosize.csv --budget 1e18 --target 1e23"));
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.find("nosize.csv:2") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("no size") != std::string::npos, r.err);
  }
  {  // a budget below the cheapest run
    auto r = run_command(f.advise("--budget 1e10 --target 1e23"));
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.find("--budget") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("cheapest") != std::string::npos, r.err);
  }
  {  // the joint law's 11 parameters from 9 runs
    auto r = run_command(moelaw_command("advise " + f.runs + " --law joint --candidates " + f.candidates +
                                        " --budget 1e19 --target 1e23"));
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.find("--law joint") != std::string::npos, r.err);
  }
  {  // a law advise has no optimum for, a bad quantity, a missing option
    BOOST_TEST(run_command(moelaw_command("advise " + f.runs + " --law sparsity --candidates " + f.candidates +
                                          " --budget 1e19 --target 1e23")).status == 2);
    auto q = run_command(f.advise("--budget 1e19 --target 1e23 --quantity X"));
    BOOST_TEST(q.status == 2);
    BOOST_TEST(q.err.find("--quantity") != std::string::npos, q.err);
    auto t = run_command(f.advise("--budget 1e19"));
    BOOST_TEST(t.status == 2);
    BOOST_TEST(t.err.find("--target") != std::string::npos, t.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
