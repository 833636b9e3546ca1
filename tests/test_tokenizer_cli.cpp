// `moelaw encode` and `moelaw decode` as a user runs them: output format, exact round trip of any
// bytes, ids equal to js-tiktoken's, and exit status 2 with a position for bad input.
#include <boost/test/unit_test.hpp>

#include <random>
#include <set>

#include "support/run_command.hpp"
#include "support/tokenizer_fixture.hpp"

BOOST_AUTO_TEST_SUITE(test_tokenizer_cli)

namespace mt = moelaw::testing;


BOOST_AUTO_TEST_CASE(encode_prints_ids_on_one_line) {
  auto r = mt::run_command(mt::moelaw_command("encode"), "Hello world");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out == "15496 995\n");
  BOOST_TEST(r.err.empty());
  auto empty = mt::run_command(mt::moelaw_command("encode"), "");
  BOOST_TEST(empty.status == 0);
  BOOST_TEST(empty.out == "\n");
}

// A few of the fixture's cases through the command (test_tokenizer checks them all in-process).
BOOST_AUTO_TEST_CASE(encode_matches_js_tiktoken_on_fixture_cases) {
  const std::set<std::string> chosen = {"contractions mixed", "leading newlines", "long spaces", "crlf",
                                        "emoji zwj", "endoftext literal", "mixed scripts", "number-like"};
  size_t n = 0;
  for (const auto& c : mt::tokenizer_fixture()["cases"]) {
    if (!chosen.count(c["name"].get<std::string>())) continue;
    auto r = mt::run_command(mt::moelaw_command("encode"), c["text"].get<std::string>());
    BOOST_TEST_CONTEXT("case '" << c["name"].get<std::string>() << "'") {
      BOOST_TEST(r.status == 0);
      BOOST_TEST(r.out == mt::ids_text(c["ids"].get<std::vector<uint32_t>>()) + "\n");
    }
    ++n;
  }
  BOOST_TEST(n == chosen.size());
}

BOOST_AUTO_TEST_CASE(decode_of_encode_is_the_same_bytes) {
  std::mt19937 rng(3);
  std::vector<std::string> inputs = {"", "a", "<|endoftext|>", "tab\there\r\n\n\n  ", "caf\xC3", "\xFF\xFE\x00x"};
  inputs.back().push_back('\0');
  for (int i = 0; i < 2; ++i) {
    std::string s(200 + rng() % 300, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    inputs.push_back(s);
  }
  for (const auto& c : mt::tokenizer_fixture()["cases"])
    if (c["name"] == "mixed scripts" || c["name"] == "emoji zwj") inputs.push_back(c["text"].get<std::string>());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto enc = mt::run_command(mt::moelaw_command("encode"), inputs[i]);
    BOOST_TEST_REQUIRE(enc.status == 0);
    auto dec = mt::run_command(mt::moelaw_command("decode"), enc.out);
    BOOST_TEST(dec.status == 0);
    BOOST_TEST(dec.out == inputs[i], "round trip of input " << i);
  }
}

BOOST_AUTO_TEST_CASE(decode_accepts_any_whitespace) {
  auto r = mt::run_command(mt::moelaw_command("decode"), "\n 15496\t\t995 \n\n");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out == "Hello world");
}

BOOST_AUTO_TEST_CASE(decode_rejects_bad_ids_with_their_position) {
  struct Bad {
    const char* input;
    const char* says;
  };
  for (const Bad& b : {Bad{"15496 995 hello", "'hello' at position 3"}, Bad{"15496 -1", "'-1' at position 2"},
                       Bad{"50257", "50257 at position 1"}, Bad{"1 2 99999999999999999999", "at position 3"},
                       Bad{"12x", "'12x' at position 1"}}) {
    auto r = mt::run_command(mt::moelaw_command("decode"), b.input);
    BOOST_TEST_CONTEXT("input '" << b.input << "'") {
      BOOST_TEST(r.status == 2);
      BOOST_TEST(r.out.empty());
      BOOST_TEST(r.err.find(b.says) != std::string::npos, "stderr: " << r.err);
    }
  }
}

BOOST_AUTO_TEST_CASE(help_and_usage_errors) {
  for (const char* cmd : {"encode", "decode"}) {
    auto help = mt::run_command(mt::moelaw_command(std::string(cmd) + " --help"));
    BOOST_TEST(help.status == 0);
    BOOST_TEST(help.out.find("--tokenizer DIR") != std::string::npos);
    BOOST_TEST(mt::run_command(mt::moelaw_command(std::string(cmd) + " --bogus")).status == 2);
    BOOST_TEST(mt::run_command(mt::moelaw_command(std::string(cmd) + " extra")).status == 2);
  }
}

BOOST_AUTO_TEST_CASE(tokenizer_directory_from_flag_and_environment) {
  auto missing = mt::run_command(mt::moelaw_command("encode --tokenizer /nonexistent/gpt2"), "x");
  BOOST_TEST(missing.status == 2);
  BOOST_TEST(missing.err.find("/nonexistent/gpt2/encoder.json") != std::string::npos);
  BOOST_TEST(missing.err.find("scripts/setup.sh") != std::string::npos);
  auto env = mt::run_command("MOELAW_TOKENIZER_DIR=/nowhere " + mt::moelaw_command("decode"), "1");
  BOOST_TEST(env.status == 2);
  BOOST_TEST(env.err.find("/nowhere/encoder.json") != std::string::npos);
  auto flag_wins = mt::run_command("MOELAW_TOKENIZER_DIR=/nowhere " + mt::moelaw_command("encode --tokenizer " MOELAW_DEFAULT_TOKENIZER_DIR), "x");
  BOOST_TEST(flag_wins.status == 0);
  BOOST_TEST(flag_wins.out == "87\n");
}

BOOST_AUTO_TEST_SUITE_END()
