// `moelaw tokenize --out DIR --name PREFIX [--shard-tokens N] [--threads T] INPUT...`
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "data/document_reader.hpp"
#include "data/tokenize_shards.hpp"
#include "launcher/experiment.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

namespace moelaw::cli {

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
  const auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  auto report = [&](const data::TokenizeProgress& p) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_report <= std::chrono::seconds(1) && !p.finished) return;
    double s = std::chrono::duration<double>(now - start).count();
    std::fprintf(stderr, "\rtokenized %.1f MB, %lld documents, %lld tokens: %.2f MB/s, %.0f tokens/s ", p.bytes / 1e6,
                 static_cast<long long>(p.documents), static_cast<long long>(p.tokens),
                 p.bytes / 1e6 / std::max(s, 1e-9), static_cast<double>(p.tokens) / std::max(s, 1e-9));
    last_report = now;
  };
  const auto done = data::tokenize_to_shards(tok, reader, {*out, *name, shard_tokens, threads}, report);
  std::fprintf(stderr, "\n");
  std::printf("%d shard%s in %s: %lld tokens, %lld documents\n", done.shards, done.shards == 1 ? "" : "s",
              out->c_str(), static_cast<long long>(done.tokens), static_cast<long long>(done.documents));
  return 0;
}

}  // namespace moelaw::cli
