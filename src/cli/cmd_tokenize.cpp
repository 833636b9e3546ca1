// `moelaw tokenize --out DIR --name PREFIX [--shard-tokens N] [--threads T] INPUT...`
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <atomic>
#include <thread>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "common/output_dir.hpp"
#include "data/document_reader.hpp"
#include "data/shard_format.hpp"
#include "launcher/experiment.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

namespace moelaw::cli {

namespace {

// Fills shards of exactly shard_tokens tokens (the last one shorter): shard 0 is validation,
// the rest training, as llm.c's FineWeb-Edu script does.
class ShardSink {
 public:
  ShardSink(std::string dir, std::string prefix, int64_t shard_tokens)
      : dir_(std::move(dir)), prefix_(std::move(prefix)), shard_tokens_(shard_tokens) {}

  void add(const std::vector<uint32_t>& ids) {
    tokens_ += static_cast<int64_t>(ids.size());
    for (size_t i = 0; i < ids.size();) {
      size_t n = std::min(ids.size() - i, static_cast<size_t>(shard_tokens_) - buffer_.size());
      for (size_t k = 0; k < n; ++k) buffer_.push_back(static_cast<uint16_t>(ids[i + k]));
      i += n;
      if (static_cast<int64_t>(buffer_.size()) == shard_tokens_) flush();
    }
  }
  void finish() {
    if (!buffer_.empty()) flush();
  }
  int shards() const { return index_; }
  int64_t tokens() const { return tokens_; }

 private:
  void flush() {
    char name[64];
    std::snprintf(name, sizeof name, "_%s_%06d.bin", index_ == 0 ? "val" : "train", index_);
    data::write_shard(dir_ + "/" + prefix_ + name, buffer_);
    buffer_.clear();
    ++index_;
  }
  std::string dir_, prefix_;
  int64_t shard_tokens_;
  std::vector<uint16_t> buffer_;
  int index_ = 0;
  int64_t tokens_ = 0;
};

}  // namespace

int cmd_tokenize(const Argv& argv) {
  Args args("tokenize", argv,
            {{"--out", true}, {"--name", true}, {"--shard-tokens", true}, {"--threads", true}, {"--tokenizer", true}},
            "moelaw tokenize --out DIR --name PREFIX [--shard-tokens N] [--threads T] [--tokenizer DIR] INPUT...\n\n"
            "Tokenizes documents with GPT-2's tokenizer into token shards in llm.c's layout: each\n"
            "document is <|endoftext|> followed by its tokens; shard 0 is PREFIX_val_000000.bin, the\n"
            "others PREFIX_train_000001.bin, ... INPUT: a .txt file (one document), a .jsonl file (one\n"
            "document per line, field \"text\"), or - for stdin (one document).\n"
            "  --shard-tokens N  tokens per shard (default 100000000)\n"
            "  --threads T       encoding threads (default: every core); the output is the same for any T\n"
            "Shards are written under a temporary name and renamed: an interrupted run leaves no partial\n"
            "shard under a final name.\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, SIZE_MAX);
  auto out = args.value("--out"), name = args.value("--name");
  if (!out) args.fail("--out DIR is required");
  if (!name) args.fail("--name PREFIX is required");
  if (!launcher::is_safe_name(*name)) args.fail("--name may only hold letters, digits, '.', '_' and '-'");
  const int64_t shard_tokens = args.integer("--shard-tokens").value_or(100'000'000);
  if (shard_tokens < 1 || shard_tokens > INT32_MAX) args.fail("--shard-tokens must be in 1..2147483647");
  const int64_t threads = args.integer("--threads").value_or(std::max(1u, std::thread::hardware_concurrency()));
  if (threads < 1 || threads > 1024) args.fail("--threads must be in 1..1024");

  auto tok = tokenizer::Gpt2Tokenizer::load(tokenizer::Gpt2Tokenizer::resolve_dir(args.value("--tokenizer")));
  data::DocumentReader reader(args.positionals());
  create_output_directory(*out, "--out directory");
  ShardSink sink(*out, *name, shard_tokens);

  const auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  int64_t documents = 0;
  // Documents are read in batches and encoded in parallel; each batch is appended in input order,
  // so the shards do not depend on the thread count.
  constexpr size_t kBatchBytes = 16 << 20;
  std::vector<std::string> batch;
  std::vector<std::vector<uint32_t>> encoded;
  bool more = true;
  while (more) {
    batch.clear();
    size_t bytes = 0;
    while (bytes < kBatchBytes) {
      auto doc = reader.next();
      if (!doc) {
        more = false;
        break;
      }
      bytes += doc->size();
      batch.push_back(std::move(*doc));
    }
    encoded.assign(batch.size(), {});
    std::vector<std::thread> pool;
    std::atomic<size_t> next{0};
    for (int64_t t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        for (size_t i; (i = next++) < batch.size();) {
          encoded[i].push_back(tokenizer::Gpt2Tokenizer::kEndOfText);
          tok.encode_append(batch[i], encoded[i]);
        }
      });
    for (auto& th : pool) th.join();
    for (const auto& ids : encoded) sink.add(ids);
    documents += static_cast<int64_t>(batch.size());
    auto now = std::chrono::steady_clock::now();
    if (now - last_report > std::chrono::seconds(1) || !more) {
      double s = std::chrono::duration<double>(now - start).count();
      std::fprintf(stderr, "\rtokenized %.1f MB, %lld documents, %lld tokens: %.2f MB/s, %.0f tokens/s ",
                   reader.bytes_read() / 1e6, static_cast<long long>(documents),
                   static_cast<long long>(sink.tokens()), reader.bytes_read() / 1e6 / std::max(s, 1e-9),
                   static_cast<double>(sink.tokens()) / std::max(s, 1e-9));
      last_report = now;
    }
  }
  sink.finish();
  std::fprintf(stderr, "\n");
  std::printf("%d shard%s in %s: %lld tokens, %lld documents\n", sink.shards(), sink.shards() == 1 ? "" : "s",
              out->c_str(), static_cast<long long>(sink.tokens()), static_cast<long long>(documents));
  return 0;
}

}  // namespace moelaw::cli
