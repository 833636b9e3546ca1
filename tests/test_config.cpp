// Strict configuration loading: every kind of bad input is an error naming file, line and key.
#include <boost/test/unit_test.hpp>

#include <toml++/toml.h>

#include "common/errors.hpp"
#include "config/run_config.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_config)

using moelaw::UsageError;
using moelaw::config::load;
using moelaw::config::run_schema;
using moelaw::config::to_run_config;

namespace {

moelaw::config::RunConfig parse(const std::string& text, std::vector<std::string> sets = {}) {
  return to_run_config(load(run_schema(), text, "exp.toml", sets));
}

// The message of the UsageError that parsing throws (fails the test if none is thrown).
std::string error_of(const std::string& text, std::vector<std::string> sets = {}) {
  try {
    parse(text, sets);
  } catch (const UsageError& e) {
    return e.what();
  }
  BOOST_FAIL("expected a configuration error for:\n" + text);
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const std::string kMinimal = "[train]\ntokens = 1000000\n";

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_follow_design) {
  auto c = parse(kMinimal);
  BOOST_TEST(c.model.d_model == 768);
  BOOST_TEST(c.model.n_blocks == 12);  // d_model / 64
  BOOST_TEST(c.model.n_heads == 12);
  BOOST_TEST(c.model.vocab_size == 50257);
  BOOST_TEST(c.train.lr_auto);
  BOOST_TEST(c.train.warmup_tokens == 130'000'000);
  BOOST_TEST(c.train.decay_fraction == 0.2);
  BOOST_TEST((c.train.batch_ramp_sizes == std::vector<int64_t>{65536, 131072, 262144}));
  BOOST_TEST((c.train.batch_ramp_tokens == std::vector<int64_t>{0, 500'000'000, 1'000'000'000}));
}

BOOST_AUTO_TEST_CASE(unknown_key_names_line_and_key) {
  std::string e = error_of("[train]\ntokens = 10\n\n[model]\nd_modle = 128\n");
  BOOST_TEST(contains(e, "exp.toml:5"));
  BOOST_TEST(contains(e, "model.d_modle"));
  BOOST_TEST(contains(e, "unknown key"));
  BOOST_TEST(contains(error_of(kMinimal + "[modell]\nx = 1\n"), "unknown section [modell]"));
}

BOOST_AUTO_TEST_CASE(wrong_type_names_line_key_and_types) {
  std::string e = error_of(kMinimal + "[model]\nd_model = \"128\"\n");
  BOOST_TEST(contains(e, "exp.toml:4"));
  BOOST_TEST(contains(e, "'model.d_model'"));
  BOOST_TEST(contains(e, "expected an integer, got a string"));
  BOOST_TEST(contains(error_of(kMinimal + "[model]\nd_model = 12.5\n"), "got a float"));
  BOOST_TEST(contains(error_of("[train]\ntokens = 10\nlr = \"fast\"\n"), "expected a number or \"auto\""));
}

BOOST_AUTO_TEST_CASE(out_of_range_and_choices) {
  BOOST_TEST(contains(error_of("[train]\ntokens = 0\n"), "must be >= 1, got 0"));
  BOOST_TEST(contains(error_of(kMinimal + "decay_fraction = 1.5\n"), "train.decay_fraction"));
  BOOST_TEST(contains(error_of(kMinimal + "backend = \"tpu\"\n"), "must be one of \"cpu\", \"cuda\", \"auto\""));
}

BOOST_AUTO_TEST_CASE(inconsistent_values) {
  std::string e = error_of(kMinimal + "[model]\nd_model = 100\n");
  BOOST_TEST(contains(e, "exp.toml:4"));
  BOOST_TEST(contains(e, "multiple of model.head_dim (64)"));
  e = error_of(kMinimal + "[model]\nexperts = 6\n[parallel]\nexpert = 4\n");
  BOOST_TEST(contains(e, "exp.toml:6"));
  BOOST_TEST(contains(e, "'parallel.expert'"));
  BOOST_TEST(contains(e, "not divisible by 4"));
  BOOST_TEST(contains(error_of(kMinimal + "[model]\ntop_k = 2\n"), "must not exceed model.experts"));
  BOOST_TEST(contains(error_of(kMinimal + "batch_ramp_sizes = [1000, 2048, 4096]\n"),
                      "not a multiple of model.seq_len (1024)"));
  BOOST_TEST(contains(error_of(kMinimal + "batch_ramp_tokens = [0, 5]\n"), "as many entries"));
}

BOOST_AUTO_TEST_CASE(transport_choices_and_cross_check) {
  BOOST_TEST(parse(kMinimal).parallel.transport == "auto");
  BOOST_TEST(parse(kMinimal + "[parallel]\ntransport = \"mpi\"\n").parallel.transport == "mpi");
  std::string e = error_of(kMinimal + "[parallel]\ntransport = \"gloo\"\n");
  BOOST_TEST(contains(e, "exp.toml:4"));
  BOOST_TEST(contains(e, "'parallel.transport'"));
  BOOST_TEST(contains(e, "must be one of \"auto\", \"mpi\", \"nccl\""));
  e = error_of(kMinimal + "backend = \"cpu\"\n[parallel]\ntransport = \"nccl\"\n");
  BOOST_TEST(contains(e, "exp.toml:5"));
  BOOST_TEST(contains(e, "'parallel.transport'"));
  BOOST_TEST(contains(e, "needs the cuda backend"));
}

BOOST_AUTO_TEST_CASE(missing_required_key) {
  BOOST_TEST(contains(error_of("[model]\nd_model = 128\n"), "required key 'train.tokens' is missing"));
}

BOOST_AUTO_TEST_CASE(invalid_toml_names_line) {
  std::string e = error_of("[train]\ntokens = 10\n[model\n");
  BOOST_TEST(contains(e, "exp.toml:3"));
  BOOST_TEST(contains(e, "invalid TOML"));
}

BOOST_AUTO_TEST_CASE(set_overrides_with_the_same_checks) {
  auto c = parse(kMinimal, {"model.d_model=128", "train.lr=0.003", "data.train=/data/*.bin"});
  BOOST_TEST(c.model.d_model == 128);
  BOOST_TEST(c.model.n_blocks == 2);
  BOOST_TEST(!c.train.lr_auto);
  BOOST_TEST(c.train.lr == 0.003);
  BOOST_TEST((c.data.train == std::vector<std::string>{"/data/*.bin"}));  // bare string, no quotes
  std::string e = error_of(kMinimal, {"model.d_model=100"});
  BOOST_TEST(contains(e, "--set model.d_model=100"));
  BOOST_TEST(contains(e, "multiple of model.head_dim"));
  BOOST_TEST(contains(error_of(kMinimal, {"model.width=3"}), "unknown key 'model.width'"));
  BOOST_TEST(contains(error_of(kMinimal, {"model.d_model"}), "expected KEY=VALUE"));
  BOOST_TEST(contains(error_of(kMinimal, {"model.d_model=abc"}), "expected an integer, got a string"));
}

BOOST_AUTO_TEST_CASE(resolved_toml_reloads_to_the_same_values) {
  auto c = parse(kMinimal + "[model]\nd_model = 256\nexperts = 8\ntop_k = 2\n", {"train.lr=0.001"});
  // Parse the printed TOML with toml++ directly (not through our loader) and check values.
  toml::table t = toml::parse(c.resolved_toml);
  BOOST_TEST(t["model"]["d_model"].value<int64_t>().value() == 256);
  BOOST_TEST(t["model"]["experts"].value<int64_t>().value() == 8);
  BOOST_TEST(t["train"]["lr"].value<double>().value() == 0.001);
  BOOST_TEST(t["train"]["tokens"].value<int64_t>().value() == 1000000);
  BOOST_TEST(t["train"]["batch_ramp_sizes"].as_array()->size() == 3u);
  // And our loader accepts its own output unchanged.
  auto again = parse(c.resolved_toml);
  BOOST_TEST(again.resolved_toml == c.resolved_toml);
}

BOOST_AUTO_TEST_CASE(cli_exit_statuses) {
  using moelaw::testing::moelaw_command;
  using moelaw::testing::run_command;
  char path[] = "/tmp/moelaw-config-XXXXXX";
  int fd = mkstemp(path);
  std::string bad = "[train]\ntokens = 10\n[model]\nd_model = 96\n";
  BOOST_REQUIRE(write(fd, bad.data(), bad.size()) == static_cast<ssize_t>(bad.size()));
  close(fd);
  auto r = run_command(moelaw_command(std::string("config ") + path));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, std::string(path) + ":4"));
  r = run_command(moelaw_command(std::string("config ") + path + " --set model.d_model=128"));
  BOOST_TEST(r.status == 0);
  BOOST_TEST(contains(r.out, "d_model = 128"));
  BOOST_TEST(run_command(moelaw_command("config /nonexistent.toml")).status == 2);
  BOOST_TEST(run_command(moelaw_command("config --bogus")).status == 2);
  BOOST_TEST(run_command(moelaw_command("nosuchcommand")).status == 2);
  r = run_command(moelaw_command("config --help"));
  BOOST_TEST(r.status == 0);
  BOOST_TEST(contains(r.out, "--set KEY=VALUE"));
  std::remove(path);
}

BOOST_AUTO_TEST_SUITE_END()
