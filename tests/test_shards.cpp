// Token shards: llm.c's layout checked by an independent raw reader, bad files rejected by name,
// and the sequence stream: a bijection per epoch, exact windows, rank-independent.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "data/sequence_stream.hpp"
#include "data/shard_format.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_shards)

namespace fs = std::filesystem;
using namespace moelaw::data;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char t[] = "/tmp/moelaw-shards-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::vector<uint16_t> ramp(size_t n, uint16_t start = 0) {
  std::vector<uint16_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint16_t>((start + i) % 50257);
  return v;
}
}  // namespace

BOOST_AUTO_TEST_CASE(llm_c_layout_read_raw) {
  TempDir dir;
  std::vector<uint16_t> tokens = {50256, 464, 2068, 7586, 50256, 40, 50256};
  write_shard(dir / "x_val_000000.bin", tokens);
  // Read it back the way llm.c's loader does: fread a 256-int32 header, check, then uint16s.
  FILE* f = std::fopen((dir / "x_val_000000.bin").c_str(), "rb");
  int32_t header[256];
  BOOST_REQUIRE(std::fread(header, sizeof(int32_t), 256, f) == 256);
  BOOST_TEST(header[0] == 20240520);
  BOOST_TEST(header[1] == 1);
  BOOST_TEST(header[2] == 7);
  for (int i = 3; i < 256; ++i) BOOST_TEST_REQUIRE(header[i] == 0);
  std::vector<uint16_t> back(7);
  BOOST_REQUIRE(std::fread(back.data(), 2, 7, f) == 7);
  std::fclose(f);
  BOOST_TEST(back == tokens);
  BOOST_TEST(fs::file_size(dir / "x_val_000000.bin") == 1024u + 2 * 7);
  Shard s(dir / "x_val_000000.bin");
  BOOST_TEST(s.size() == 7);
  BOOST_TEST(s.tokens()[2] == 2068);
  int files = 0;
  for (auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
  BOOST_TEST(files == 1);  // no temporary left behind
}

BOOST_AUTO_TEST_CASE(bad_shards_are_named) {
  TempDir dir;
  write_shard(dir / "good.bin", ramp(100));
  auto corrupt = [&](const std::string& name, long offset, int32_t value) {
    fs::copy_file(dir / "good.bin", dir / name);
    std::fstream f(dir / name, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset);
    f.write(reinterpret_cast<const char*>(&value), 4);
  };
  corrupt("magic.bin", 0, 12345);
  corrupt("version.bin", 4, 7);
  fs::copy_file(dir / "good.bin", dir / "short.bin");
  fs::resize_file(dir / "short.bin", 1024 + 150);
  std::ofstream(dir / "tiny.bin") << "hello";
  auto info = [&](const std::string& name) {
    return moelaw::testing::run_command(moelaw::testing::moelaw_command("shard-info " + (dir / name)));
  };
  auto r = info("magic.bin");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("magic.bin") != std::string::npos);
  BOOST_TEST(r.err.find("magic 12345") != std::string::npos);
  r = info("version.bin");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("version 7") != std::string::npos);
  r = info("short.bin");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("does not match the header's 100 tokens") != std::string::npos);
  BOOST_TEST(info("tiny.bin").status == 2);
  BOOST_TEST(info("missing.bin").status == 2);
  r = moelaw::testing::run_command(moelaw::testing::moelaw_command("shard-info --json " + (dir / "good.bin")));
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST(j[0]["tokens"].get<int64_t>() == 100);
  BOOST_TEST(j[0]["documents"].get<int64_t>() == 0);
}

BOOST_AUTO_TEST_CASE(permutation_is_a_bijection) {
  for (int64_t n : {1, 2, 3, 7, 16, 17, 1000, 4097}) {
    std::set<int64_t> seen;
    for (int64_t i = 0; i < n; ++i) {
      int64_t p = permute_index(i, n, 42);
      BOOST_TEST_REQUIRE((p >= 0 && p < n));
      seen.insert(p);
    }
    BOOST_TEST(static_cast<int64_t>(seen.size()) == n);
  }
  // Different keys give different orders.
  int same = 0;
  for (int64_t i = 0; i < 1000; ++i) same += permute_index(i, 1000, 1) == permute_index(i, 1000, 2);
  BOOST_TEST(same < 20);
}

BOOST_AUTO_TEST_CASE(stream_windows_span_shards_and_epochs) {
  TempDir dir;
  // Two shards, concatenated tokens 0..249 (100 + 150).
  write_shard(dir / "a.bin", ramp(100));
  write_shard(dir / "b.bin", ramp(150, 100));
  const int64_t T = 16;
  SequenceStream ordered({dir / "a.bin", dir / "b.bin"}, T, 7, false);
  BOOST_TEST(ordered.total_tokens() == 250);
  BOOST_TEST(ordered.windows() == (250 - 1) / T);  // 15
  std::vector<int32_t> seq(T + 1);
  ordered.read(6, 1, seq.data());  // window 6 covers tokens 96..112, across the shard boundary
  for (int64_t i = 0; i <= T; ++i) BOOST_TEST_REQUIRE(seq[i] == 96 + i);

  SequenceStream shuffled({dir / "a.bin", dir / "b.bin"}, T, 7, true);
  const int64_t W = shuffled.windows();
  std::vector<int32_t> all((3 * W) * (T + 1));
  shuffled.read(0, 3 * W, all.data());
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::set<int32_t> firsts;  // each epoch visits every window once
    for (int64_t i = 0; i < W; ++i) {
      const int32_t* s = &all[(epoch * W + i) * (T + 1)];
      BOOST_TEST_REQUIRE(s[0] % T == 0);
      for (int64_t k = 1; k <= T; ++k) BOOST_TEST_REQUIRE(s[k] == s[0] + k);
      firsts.insert(s[0]);
    }
    BOOST_TEST(static_cast<int64_t>(firsts.size()) == W);
  }
  // Epochs are shuffled differently.
  BOOST_TEST(!std::equal(all.begin(), all.begin() + W * (T + 1), all.begin() + W * (T + 1)));
  // Reading in slices (as ranks do) gives the same sequences as reading at once.
  std::vector<int32_t> slice(5 * (T + 1));
  shuffled.read(20, 5, slice.data());
  BOOST_TEST(std::equal(slice.begin(), slice.end(), all.begin() + 20 * (T + 1)));
}

BOOST_AUTO_TEST_CASE(too_little_data_and_empty_globs) {
  TempDir dir;
  write_shard(dir / "small.bin", ramp(10));
  BOOST_CHECK_THROW(SequenceStream({dir / "small.bin"}, 16, 1, true), moelaw::UsageError);
  BOOST_CHECK_THROW(expand_shard_globs({dir / "*.nothing"}, "data.train"), moelaw::UsageError);
  BOOST_TEST(expand_shard_globs({dir / "*.bin", dir / "small.bin"}, "data.train").size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
