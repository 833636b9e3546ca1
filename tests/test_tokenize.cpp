// `moelaw tokenize`: documents from .txt, .jsonl and stdin into llm.c shards, identical for any
// thread count, decoding back to the documents; bad input named by file and line.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "data/shard_format.hpp"
#include "support/run_command.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

BOOST_AUTO_TEST_SUITE(test_tokenize)

namespace fs = std::filesystem;
using moelaw::testing::moelaw_command;
using moelaw::testing::run_command;
using moelaw::testing::slurp;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char t[] = "/tmp/moelaw-tokenize-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Every token of the shards PREFIX_* in dir, in shard order.
std::vector<uint32_t> all_tokens(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> files;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix + "_", 0) == 0) files.push_back(e.path().string());
  // shard index is the 6-digit number before ".bin"
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    return a.substr(a.size() - 10) < b.substr(b.size() - 10);
  });
  std::vector<uint32_t> out;
  for (const auto& f : files) {
    moelaw::data::Shard s(f);
    out.insert(out.end(), s.tokens(), s.tokens() + s.size());
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(documents_from_every_input_kind) {
  TempDir dir;
  std::vector<std::string> docs = {"First document.\nWith two lines.", "Second: \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80",
                                   "Third \"quoted\" <|endoftext|> text", "Fourth, from stdin."};
  std::ofstream(dir / "a.txt") << docs[0];
  {
    std::ofstream j(dir / "b.jsonl");
    j << nlohmann::json{{"text", docs[1]}, {"id", 1}}.dump() << "\n\n";
    j << nlohmann::json{{"text", docs[2]}, {"url", "x"}}.dump() << "\n";
  }
  auto r = run_command(moelaw_command("tokenize --out " + (dir / "out") + " --name t --shard-tokens 7 " + (dir / "a.txt") +
                              " " + (dir / "b.jsonl") + " -"),
                       docs[3]);
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(fs::exists(dir / "out/t_val_000000.bin"));
  BOOST_TEST(fs::exists(dir / "out/t_train_000001.bin"));
  BOOST_TEST(r.out.find("4 documents") != std::string::npos);
  // Shards hold exactly 7 tokens except the last.
  BOOST_TEST(moelaw::data::Shard(dir / "out/t_val_000000.bin").size() == 7);
  // Split the token stream at <|endoftext|> and decode: the documents come back.
  auto tok = moelaw::tokenizer::Gpt2Tokenizer::load(moelaw::tokenizer::Gpt2Tokenizer::resolve_dir(std::nullopt));
  auto tokens = all_tokens(dir / "out", "t");
  BOOST_TEST_REQUIRE(tokens.front() == 50256u);
  std::vector<std::string> back;
  std::vector<uint32_t> current;
  for (size_t i = 1; i <= tokens.size(); ++i) {
    if (i == tokens.size() || tokens[i] == 50256u) {
      back.push_back(tok.decode(current));
      current.clear();
    } else {
      current.push_back(tokens[i]);
    }
  }
  BOOST_TEST(back == docs);
}

BOOST_AUTO_TEST_CASE(same_output_for_any_thread_count) {
  TempDir dir;
  {
    std::ofstream j(dir / "many.jsonl");
    for (int i = 0; i < 300; ++i)
      j << nlohmann::json{{"text", "Document " + std::to_string(i) + std::string(i % 17, '!') + " with words and 123."}}.dump() << "\n";
  }
  for (int threads : {1, 2, 3})
    BOOST_TEST_REQUIRE(run_command(moelaw_command(std::string("tokenize --threads ").append(std::to_string(threads)) + " --shard-tokens 1000 --out " +
                                          (dir / std::string("t").append(std::to_string(threads))) + " --name x " + (dir / "many.jsonl")))
                           .status == 0);
  for (const auto& shard : {"x_val_000000.bin", "x_train_000001.bin", "x_train_000002.bin"}) {
    std::string one = slurp((dir.path / "t1" / shard).string());
    BOOST_TEST(!one.empty());
    BOOST_TEST(one == slurp((dir.path / "t2" / shard).string()));
    BOOST_TEST(one == slurp((dir.path / "t3" / shard).string()));
  }
}

BOOST_AUTO_TEST_CASE(bad_input_is_named) {
  TempDir dir;
  {
    std::ofstream j(dir / "bad.jsonl");
    j << "{\"text\": \"ok\"}\n{\"text\": 5}\n";
  }
  auto r = run_command(moelaw_command("tokenize --out " + (dir / "o") + " --name x " + (dir / "bad.jsonl")));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("bad.jsonl:2") != std::string::npos);
  BOOST_TEST(!fs::exists(dir / "o/x_val_000000.bin"));  // nothing half-done under a final name
  std::ofstream(dir / "broken.jsonl") << "{\"text\": \"unterminated\n";
  r = run_command(moelaw_command("tokenize --out " + (dir / "o") + " --name x " + (dir / "broken.jsonl")));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("broken.jsonl:1") != std::string::npos);
  BOOST_TEST(run_command(moelaw_command("tokenize --out " + (dir / "o") + " --name x " + (dir / "missing.txt"))).status == 2);
  BOOST_TEST(run_command(moelaw_command("tokenize --out " + (dir / "o") + " --name x " + (dir / "data.csv"))).status == 2);
  BOOST_TEST(run_command(moelaw_command("tokenize --out " + (dir / "o") + " --name '../x' -"), "t").status == 2);
  BOOST_TEST(run_command(moelaw_command("tokenize --name x -"), "t").status == 2);
}

BOOST_AUTO_TEST_SUITE_END()
