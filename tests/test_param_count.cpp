// DESIGN.md's parameter formula against the parameters the model really allocates, and the
// `moelaw params` command (text, JSON with full precision, usage errors).
#include <boost/test/unit_test.hpp>

#include <array>
#include <filesystem>

#include <toml++/toml.h>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/wait.h>

#include "common/errors.hpp"
#include "model/param_count.hpp"
#include "model/parameter_table.hpp"

BOOST_AUTO_TEST_SUITE(test_param_count)

using moelaw::model::count_parameters;
using moelaw::model::ModelDims;

namespace {

struct Run {
  int status;
  std::string out;
};

Run run_moelaw(const std::string& arguments) {
  const std::string command = std::string(MOELAW_BINARY) + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

BOOST_AUTO_TEST_CASE(formula_matches_allocated_dense_parameters) {
  // The default shapes (heads of 64, n_blocks = d_model/64) with GPT-2's vocabulary, plus one
  // with explicit blocks. The formula leaves out exactly the RMSNorm gains: 2·d per block
  // (attention and feed-forward norms) and d for the final norm.
  for (int64_t d : {64, 128, 256, 384, 512, 768, 1024, 1536, 2048}) {
    const ModelDims dims{d, d / 64, d / 64, 64, 50257, 1024};
    const auto table = moelaw::model::dense_parameter_table(dims);
    const auto c = count_parameters({d, d / 64, 50257});
    int64_t gains = 0;
    for (const auto& t : table.tensors())
      if (t.role == moelaw::model::TensorRole::NormGain) gains += t.size;
    BOOST_TEST(table.total() - c.n_total == gains, "d_model " << d);
    BOOST_TEST(gains == 2 * dims.n_blocks * d + d);
    BOOST_TEST(c.n_norm_gains == gains);
    BOOST_TEST(c.n_total_allocated == table.total());
    BOOST_TEST(c.n_act == c.n_total);  // dense: every parameter is active
    BOOST_TEST(c.n_act_nonembedding == 13 * dims.n_blocks * d * d);
    BOOST_TEST(c.flops_per_token == 6 * c.n_act);
  }
  const ModelDims odd{96, 3, 2, 48, 1000, 16};
  BOOST_TEST(moelaw::model::dense_parameter_table(odd).total() ==
             count_parameters({96, 3, 1000}).n_total_allocated);
}

BOOST_AUTO_TEST_CASE(published_sizes) {
  // d_model 768, 12 blocks, GPT-2 vocabulary: 2·768·50257 + 13·12·768².
  const auto c = count_parameters({768, 12, 50257});
  BOOST_TEST(c.n_total == 77194752 + 92012544);
  // The LR law at that size: exp(8.39 − 0.81·ln 92012544).
  BOOST_TEST(std::abs(c.lr - std::exp(8.39 - 0.81 * std::log(92012544.0))) < 1e-18);
}

BOOST_AUTO_TEST_CASE(mixture_of_experts_counts) {
  // E = 8, top-1: every expert counts in the total, one per token in the active count.
  const auto s = count_parameters({512, 8, 50257, 8, 1, 1});
  BOOST_TEST(s.n_total == 2 * 512 * 50257 + (4 + 9 * 8) * 8 * 512 * 512);
  BOOST_TEST(s.n_act == 2 * 512 * 50257 + 13 * 8 * 512 * 512);
  BOOST_TEST(s.n_router == 8 * 512 * 8);
  BOOST_TEST(std::abs(s.lr - std::exp(8.39 - 0.81 * std::log(13.0 * 8 * 512 * 512) - 0.25 * std::log(8.0))) < 1e-18);
  // Granularity 4 splits each expert in four and routes to k·G = 8 of the 32: same totals as G=1
  // with k = 2, and a router four times wider.
  const auto g = count_parameters({512, 8, 50257, 8, 2, 4});
  const auto k2 = count_parameters({512, 8, 50257, 8, 2, 1});
  BOOST_TEST(g.n_total == k2.n_total);
  BOOST_TEST(g.n_act == 2 * 512 * 50257 + (4 + 9 * 2) * 8 * 512 * 512);
  BOOST_TEST(g.n_router == 4 * k2.n_router);
  BOOST_CHECK_THROW(count_parameters({512, 8, 50257, 2, 3, 1}), moelaw::UsageError);
  BOOST_CHECK_THROW(count_parameters({512, 8, 50257, 8, 1, 7}), moelaw::UsageError);
  BOOST_CHECK_THROW(count_parameters({512, 8, 50257, 1, 1, 2}), moelaw::UsageError);
}

BOOST_AUTO_TEST_CASE(command_prints_json_with_full_precision) {
  const Run r = run_moelaw("params --d-model 768 --json");
  BOOST_REQUIRE_EQUAL(r.status, 0);
  const auto j = nlohmann::json::parse(r.out);
  const auto c = count_parameters({768, 12, 50257});
  BOOST_TEST(j["n_blocks"].get<int64_t>() == 12);
  BOOST_TEST(j["n_total"].get<int64_t>() == c.n_total);
  BOOST_TEST(j["n_act"].get<int64_t>() == c.n_act);
  BOOST_TEST(j["n_act_nonembedding"].get<int64_t>() == c.n_act_nonembedding);
  BOOST_TEST(j["flops_per_token"].get<int64_t>() == c.flops_per_token);
  BOOST_TEST(j["lr"].get<double>() == c.lr);  // exact: printed with 17 significant digits
  BOOST_TEST(j["n_total_allocated"].get<int64_t>() == c.n_total_allocated);
}

BOOST_AUTO_TEST_CASE(command_text_and_errors) {
  const Run text = run_moelaw("params --d-model 128");
  BOOST_REQUIRE_EQUAL(text.status, 0);
  BOOST_TEST(text.out.find("n_total") != std::string::npos);
  BOOST_TEST(text.out.find("lr") != std::string::npos);
  BOOST_TEST(run_moelaw("params").status == 2);                                  // no --d-model
  BOOST_TEST(run_moelaw("params --d-model 100").status == 2);                    // blocks unknown
  BOOST_TEST(run_moelaw("params --d-model 64 --experts 2 --top-k 3").status == 2);
  BOOST_TEST(run_moelaw("params --d-model abc").status == 2);
  BOOST_TEST(run_moelaw("params --d-model 64 --bogus").status == 2);
}

// Every dense run configuration in experiments/: `moelaw params` gives DESIGN.md's sizes,
// N_total = N_act = 2·d·V + 13·L·d² (computed here from the file's own values).
BOOST_AUTO_TEST_CASE(experiment_configs_match_design_formula) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (auto& e : fs::recursive_directory_iterator(std::string(MOELAW_SOURCE_DIR) + "/experiments")) {
    if (e.path().extension() != ".toml") continue;
    toml::table t = toml::parse_file(e.path().string());
    if (!t.contains("model") || !t.contains("train")) continue;  // grids, not run configs
    if (t["model"]["experts"].value_or<int64_t>(1) != 1) continue;
    const int64_t d = t["model"]["d_model"].value_or<int64_t>(768);
    const int64_t L = t["model"]["n_blocks"].value_or<int64_t>(d / 64);
    const int64_t V = t["model"]["vocab_size"].value_or<int64_t>(50257);
    const Run r = run_moelaw("params --json --d-model " + std::to_string(d) + " --blocks " + std::to_string(L));
    BOOST_TEST_REQUIRE(r.status == 0, e.path().string());
    auto j = nlohmann::json::parse(r.out);
    BOOST_TEST(j["n_total"].get<int64_t>() == 2 * d * V + 13 * L * d * d, e.path().string());
    BOOST_TEST(j["n_act"].get<int64_t>() == 2 * d * V + 13 * L * d * d, e.path().string());
    ++checked;
  }
  BOOST_TEST(checked >= 1);
}

BOOST_AUTO_TEST_SUITE_END()
