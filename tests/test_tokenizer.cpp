// The GPT-2 tokenizer against a real one we did not write (js-tiktoken; fixture made by
// tests/tools/make_tokenizer_fixture.js), on hard cases and on real FineWeb-Edu text, plus
// byte-exact round trips on arbitrary bytes and the encode/decode commands.
#define BOOST_TEST_MODULE tokenizer
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "support/run_command.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

using moelaw::tokenizer::Gpt2Tokenizer;
using moelaw::testing::slurp;

namespace {

const Gpt2Tokenizer& tok() {
  static Gpt2Tokenizer t = Gpt2Tokenizer::load(Gpt2Tokenizer::resolve_dir(std::nullopt));
  return t;
}

const nlohmann::json& fixture() {
  static nlohmann::json j =
      nlohmann::json::parse(slurp(std::string(MOELAW_SOURCE_DIR) + "/tests/fixtures/tokenizer_reference.json"));
  return j;
}

std::vector<uint32_t> ids_of(const nlohmann::json& j) { return j.get<std::vector<uint32_t>>(); }

std::vector<uint32_t> reference_ids(const std::string& text) {
  for (const auto& c : fixture()["cases"])
    if (c["text"] == text) return ids_of(c["ids"]);
  BOOST_FAIL("no fixture case '" + text + "'");
  return {};
}

std::string sample_path() { return std::string(MOELAW_SHARED_DIR) + "/data/fineweb-edu-sample.txt"; }

std::string join(const std::vector<uint32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? " " : "") + std::to_string(ids[i]);
  return s;
}

uint64_t fnv1a64(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

BOOST_AUTO_TEST_CASE(hard_cases_match_the_reference) {
  int n = 0;
  for (const auto& c : fixture()["cases"]) {
    std::string text = c["text"];
    auto got = tok().encode(text);
    BOOST_TEST(got == ids_of(c["ids"]), "case '" << text << "'");
    BOOST_TEST(tok().decode(got) == text);
    ++n;
  }
  BOOST_TEST(n > 70);
}

BOOST_AUTO_TEST_CASE(real_text_matches_the_reference,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       boost::test_tools::assertion_result r(std::filesystem::exists(sample_path()));
                       r.message() << sample_path() << " not found: ../shared is not beside the checkout";
                       return r;
                     })) {
  std::string sample = slurp(sample_path());
  for (const auto& p : fixture()["fineweb_passages"]) {
    std::string text = sample.substr(p["offset"].get<size_t>(), p["length"].get<size_t>());
    BOOST_TEST(tok().encode(text) == ids_of(p["ids"]), "passage at byte " << p["offset"]);
  }
  const auto& whole = fixture()["fineweb_whole"];
  BOOST_TEST_REQUIRE(sample.size() == whole["bytes"].get<size_t>());
  auto ids = tok().encode(sample);
  BOOST_TEST(ids.size() == whole["count"].get<size_t>());
  BOOST_TEST(std::to_string(fnv1a64(join(ids))) == whole["fnv1a64"].get<std::string>());
  BOOST_TEST(tok().decode(ids) == sample);
}

BOOST_AUTO_TEST_CASE(endoftext_is_ordinary_text) {
  auto ids = tok().encode("<|endoftext|>");
  BOOST_TEST(ids.size() > 1u);
  BOOST_TEST(std::count(ids.begin(), ids.end(), Gpt2Tokenizer::kEndOfText) == 0);
  BOOST_TEST(tok().decode(std::vector<uint32_t>{Gpt2Tokenizer::kEndOfText}) == "<|endoftext|>");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_keeps_every_byte) {
  // An invalid byte is a piece of its own; the valid text around it encodes as it would alone.
  auto hello = reference_ids("hello"), world = reference_ids("world");
  auto ff = tok().encode(std::string("\xff"));
  BOOST_TEST(ff.size() == 1u);
  std::vector<uint32_t> expected = hello;
  expected.insert(expected.end(), ff.begin(), ff.end());
  expected.insert(expected.end(), world.begin(), world.end());
  BOOST_TEST(tok().encode(std::string("hello\xffworld")) == expected);
  // Truncated multi-byte sequences, lone continuation bytes, overlongs, surrogates.
  for (std::string s : {std::string("\xe6\x97"), std::string("a\x80\x80b"), std::string("\xc0\xaf"),
                        std::string("\xed\xa0\x80x"), std::string("caf\xc3"), std::string("\xf0\x9f\x98")})
    BOOST_TEST(tok().decode(tok().encode(s)) == s);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::string s(1 + rng() % 300, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    BOOST_TEST_REQUIRE(tok().decode(tok().encode(s)) == s);
  }
}

BOOST_AUTO_TEST_CASE(long_runs) {
  for (std::string s : {std::string(100000, ' '), std::string(100000, '7'), std::string(50000, 'a'),
                        std::string(30000, '\n') + "x"}) {
    auto ids = tok().encode(s);
    BOOST_TEST(tok().decode(ids) == s);
    BOOST_TEST(ids.size() <= s.size());
  }
}

BOOST_AUTO_TEST_CASE(commands) {
  using moelaw::testing::moelaw_command;
  using moelaw::testing::run_command;
  auto r = run_command(moelaw_command("encode"), "Hello world");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.out == join(reference_ids("Hello world")) + "\n");
  BOOST_TEST(run_command(moelaw_command("encode"), "").out == "\n");
  std::string bytes = "tabs\t\tand \xff\xfe bytes\r\n" + std::string("日本語 😀");
  auto encoded = run_command(moelaw_command("encode"), bytes);
  auto decoded = run_command(moelaw_command("decode"), encoded.out);
  BOOST_TEST(decoded.status == 0);
  BOOST_TEST(decoded.out == bytes);
  r = run_command(moelaw_command("decode"), "15496 995 50257");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("token 3") != std::string::npos);
  BOOST_TEST(run_command(moelaw_command("decode"), "15496 x").status == 2);
  r = run_command(moelaw_command("encode --tokenizer /nonexistent"), "x");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("/nonexistent/encoder.json") != std::string::npos);
  BOOST_TEST(run_command("MOELAW_TOKENIZER_DIR=/nonexistent " + moelaw_command("encode"), "x").status == 2);
}
