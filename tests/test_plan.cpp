// Grid planning with checkpoint reuse: DESIGN.md's token accounting, the LR law, and bad input.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "launcher/plan.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_plan)

using namespace moelaw::launcher;

namespace {

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/moelaw-exp-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::string& text) {
  auto path = write_temp(text);
  try {
    make_plan(load_experiment(path));
  } catch (const moelaw::UsageError& e) {
    std::remove(path.c_str());
    return e.what();
  }
  std::remove(path.c_str());
  BOOST_FAIL("expected an error for:\n" + text);
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(design_reuse_accounting) {
  auto plan = make_plan(load_experiment(std::string(MOELAW_SOURCE_DIR) +
                                        "/experiments/published/reuse-example.toml"));
  BOOST_TEST(plan.runs.size() == 7u);
  BOOST_TEST(plan.tokens_without_reuse == 31'500'000'000LL);
  // DESIGN.md: 19.1B with reuse. Branch points sit on the batch grid, a step or less below 0.8 D.
  BOOST_TEST(std::abs(plan.tokens_with_reuse - 19.1e9) < 19.1e9 * 1e-3);
  const auto& trunk = plan.runs[0];
  BOOST_TEST(trunk.role == "trunk");
  BOOST_TEST(trunk.target_tokens == trunk.pins.back());
  for (size_t i = 1; i < plan.runs.size(); ++i) {
    const auto& r = plan.runs[i];
    BOOST_TEST(r.role == "cooldown");
    BOOST_TEST(r.init_from == trunk.name);
    BOOST_TEST(r.start_tokens == trunk.pins[i - 1]);
    BOOST_TEST(r.start_tokens <= 0.8 * static_cast<double>(r.target_tokens));
    BOOST_TEST(r.start_tokens > 0.8 * static_cast<double>(r.target_tokens) - 262144);
  }
}

BOOST_AUTO_TEST_CASE(lr_from_the_law_and_parameter_counts) {
  auto plan = make_plan(load_experiment(std::string(MOELAW_SOURCE_DIR) +
                                        "/experiments/published/reuse-example.toml"));
  // d = 1024, 16 blocks: N_act non-embedding = 13 * 16 * 1024^2; DESIGN.md's LR law at E = 1.
  double n = 13.0 * 16 * 1024 * 1024;
  double lr = std::exp(8.39 - 0.81 * std::log(n));
  for (const auto& r : plan.runs) {
    BOOST_TEST(r.lr == lr, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.n_act_nonembedding == n);
    BOOST_TEST(r.n_total == 2.0 * 1024 * 50257 + 13.0 * 16 * 1024 * 1024);
  }
}

BOOST_AUTO_TEST_CASE(moe_counts_and_lr_sweeps) {
  auto path = write_temp(
      "[experiment]\nname = \"sweep\"\n"
      "[[models]]\nname = \"moe\"\nd_model = 512\nexperts = 8\ntokens = [1_000_000_000]\n"
      "lr = [1e-3, 3e-3]\nseeds = [1, 2]\n");
  auto plan = make_plan(load_experiment(path));
  std::remove(path.c_str());
  BOOST_TEST(plan.runs.size() == 8u);  // 2 LRs x 2 seeds x (trunk + 1 cooldown)
  // N_total = 2 d V + (4 + 9E) L d^2 and N_act = 2 d V + 13 L d^2 (DESIGN.md), d = 512, L = 8.
  double d = 512, L = 8, V = 50257;
  BOOST_TEST(plan.runs[0].n_total == 2 * d * V + (4 + 9 * 8) * L * d * d);
  BOOST_TEST(plan.runs[0].n_act == 2 * d * V + 13 * L * d * d);
  BOOST_TEST(plan.runs[0].lr == 1e-3);
  BOOST_TEST(plan.runs[0].name == "moe_lr-0.001_s1_trunk");
}

BOOST_AUTO_TEST_CASE(names_cannot_inject_shell) {
  std::string e = error_of("[experiment]\nname = \"x\"\n[[models]]\nname = \"x$(touch /tmp/pwned)\"\n"
                           "d_model = 64\ntokens = [100000]\n");
  BOOST_TEST(contains(e, ":4"));
  BOOST_TEST(contains(e, "may only hold letters"));
  BOOST_TEST(contains(error_of("[experiment]\nname = \"../up\"\n[[models]]\nname = \"m\"\nd_model = 64\ntokens = [1]\n"),
                      "experiment.name"));
  BOOST_TEST(contains(error_of("[experiment]\nname = \"e\"\n[resources]\npartition = \"a;rm -rf /\"\n"
                               "[[models]]\nname = \"m\"\nd_model = 64\ntokens = [1]\n"),
                      "resources.partition"));
}

BOOST_AUTO_TEST_CASE(bad_grids_name_file_line_and_key) {
  std::string e = error_of("[experiment]\nname = \"e\"\n\n[[models]]\nname = \"m\"\nd_model = 100\ntokens = [1000000]\n");
  BOOST_TEST(contains(e, ":4 [[models]] m"));
  BOOST_TEST(contains(e, "multiple of model.head_dim"));
  BOOST_TEST(contains(error_of("[experiment]\nname = \"e\"\n[[models]]\nname = \"m\"\nd_model = 64\ntokens = [1]\nwidth = 3\n"),
                      "unknown key"));
  BOOST_TEST(contains(error_of("[experiment]\nname = \"e\"\n[[models]]\nname = \"m\"\nd_model = 64\n"), "tokens"));
  e = error_of("[experiment]\nname = \"e\"\n[run.train]\nwarmup = 5\n[[models]]\nname = \"m\"\nd_model = 64\ntokens = [1]\n");
  BOOST_TEST(contains(e, "unknown key 'train.warmup'"));
  BOOST_TEST(contains(error_of("[experiment]\nname = \"e\"\n[[models]]\nname = \"m\"\nd_model = 64\ntokens = [5, 5]\n"),
                      "twice"));
}

BOOST_AUTO_TEST_CASE(cli_json) {
  auto r = moelaw::testing::run_command(moelaw::testing::moelaw_command(
      "plan --json " + std::string(MOELAW_SOURCE_DIR) + "/experiments/published/reuse-example.toml"));
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["tokens_without_reuse"].get<int64_t>() == 31'500'000'000LL);
  BOOST_TEST(j["runs"].size() == 7u);
  BOOST_TEST(j["runs"][0]["role"] == "trunk");
  BOOST_TEST(j["runs"][1]["init_from"] == j["runs"][0]["name"]);
  BOOST_TEST(moelaw::testing::run_command(moelaw::testing::moelaw_command("plan /nonexistent.toml")).status == 2);
}

BOOST_AUTO_TEST_CASE(published_joint_law_grid) {
  auto plan = make_plan(load_experiment(std::string(MOELAW_SOURCE_DIR) + "/experiments/published/joint-law.toml"));
  // 8 widths x 6 expert counts, each a trunk and 3 cooldowns.
  BOOST_TEST(plan.runs.size() == 8u * 6u * 4u);
  for (const auto& r : plan.runs) {
    const double d = static_cast<double>(std::stoll(r.model.substr(1, r.model.find('-') - 1)));
    const double L = d / 64, V = 50257, E = static_cast<double>(r.experts);
    BOOST_TEST(r.n_total == 2 * d * V + (4 + 9 * E) * L * d * d);  // DESIGN.md's shape rule and counts
    BOOST_TEST(r.n_act == 2 * d * V + 13 * L * d * d);
    BOOST_TEST(r.lr == std::exp(8.39 - 0.81 * std::log(13 * L * d * d) - 0.25 * std::log(E)),
               boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(format_tokens(8.86e12) == "8.86T");
}

BOOST_AUTO_TEST_SUITE_END()
