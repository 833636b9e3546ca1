// The tokenize workflow (data/tokenize_shards.hpp, data/shard_sink.hpp): documents become
// <|endoftext|> + their ids, cut into shards of exactly shard_tokens tokens named val, train,
// train... The expected ids are js-tiktoken's (tests/fixtures/tokenizer_gpt2.json), the cuts
// worked out by hand, the same for one thread and several and for any batch size.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "data/shard_format.hpp"
#include "data/shard_sink.hpp"
#include "data/tokenize_shards.hpp"
#include "support/tiny_run.hpp"
#include "support/tokenizer_fixture.hpp"

BOOST_AUTO_TEST_SUITE(test_tokenize_shards)

namespace fs = std::filesystem;
using namespace moelaw;
using moelaw::testing::TempDir;

namespace {

std::vector<uint16_t> shard_tokens(const std::string& path) {
  data::Shard s(path);
  return {s.tokens(), s.tokens() + s.size()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_sink_cuts_exact_shards_across_documents) {
  TempDir tmp;
  data::ShardSink sink(tmp.path.string(), "p", 3);
  sink.add({1, 2, 3, 4});
  sink.add({5, 6, 7});
  BOOST_TEST(sink.shards() == 2);  // two full shards written, 7 waits
  sink.finish();
  BOOST_TEST(sink.shards() == 3);
  BOOST_TEST(sink.tokens() == 7);
  BOOST_TEST(shard_tokens(tmp / "p_val_000000.bin") == (std::vector<uint16_t>{1, 2, 3}));
  BOOST_TEST(shard_tokens(tmp / "p_train_000001.bin") == (std::vector<uint16_t>{4, 5, 6}));
  BOOST_TEST(shard_tokens(tmp / "p_train_000002.bin") == (std::vector<uint16_t>{7}));
  BOOST_TEST(data::ShardSink::shard_name("q", 12) == "q_train_000012.bin");
}

BOOST_AUTO_TEST_CASE(documents_become_end_of_text_and_their_ids_in_order) {
  TempDir tmp;
  const auto& cases = testing::tokenizer_fixture()["cases"];
  std::ofstream jsonl(tmp / "docs.jsonl");
  std::vector<uint16_t> expected;
  int64_t documents = 0;
  for (const auto& c : cases) {
    if (c["text"].get<std::string>().empty() || documents == 6) continue;
    jsonl << nlohmann::json{{"text", c["text"]}}.dump() << "\n";
    expected.push_back(50256);
    for (int id : c["ids"]) expected.push_back(static_cast<uint16_t>(id));
    ++documents;
  }
  jsonl.close();
  const int64_t per_shard = 10;
  for (int64_t threads : {1, 3}) {
    for (size_t batch_bytes : {size_t{1}, size_t{1} << 20}) {
      const std::string out = tmp / ("out-" + std::to_string(threads) + "-" + std::to_string(batch_bytes));
      data::DocumentReader reader({tmp / "docs.jsonl"});
      int reports = 0;
      auto done = data::tokenize_to_shards(testing::gpt2(), reader, {out, "d", per_shard, threads, batch_bytes},
                                           [&](const data::TokenizeProgress&) { ++reports; });
      BOOST_TEST(done.finished);
      BOOST_TEST(done.documents == documents);
      BOOST_TEST(done.tokens == static_cast<int64_t>(expected.size()));
      BOOST_TEST(done.shards == static_cast<int>((expected.size() + per_shard - 1) / per_shard));
      BOOST_TEST(reports >= (batch_bytes == 1 ? documents : 1));  // one report per batch
      std::vector<uint16_t> got;
      for (int i = 0; i < done.shards; ++i) {
        auto part = shard_tokens(out + "/" + data::ShardSink::shard_name("d", i));
        BOOST_TEST(part.size() == (i + 1 < done.shards ? size_t(per_shard) : expected.size() - i * per_shard));
        got.insert(got.end(), part.begin(), part.end());
      }
      BOOST_TEST(got == expected, "threads " << threads << ", batch " << batch_bytes);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
