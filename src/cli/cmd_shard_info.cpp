// `moelaw shard-info FILE... [--json]`: header fields, token and document counts of token shards.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "data/shard_format.hpp"

namespace moelaw::cli {

int cmd_shard_info(const Argv& argv) {
  Args args("shard-info", argv, {{"--json", false}, {"--vocab-size", true}},
            "moelaw shard-info FILE... [--json] [--vocab-size V]\n\n"
            "Checks token shards in llm.c's layout (header of 256 int32: magic 20240520, version 1,\n"
            "token count; then uint16 tokens) and prints their header fields, token count and\n"
            "document count (the number of <|endoftext|> tokens). A file with a wrong magic,\n"
            "version or size, or a token id not below V (default 50257, GPT-2's vocabulary), is an\n"
            "error naming the file and the problem; every file is checked, and any bad one makes the\n"
            "exit status 2.\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, SIZE_MAX);
  const int64_t vocab_size = args.integer("--vocab-size").value_or(50257);
  if (vocab_size < 1 || vocab_size > 65536) args.fail("--vocab-size must be in [1, 65536]");
  nlohmann::json out = nlohmann::json::array();
  int bad = 0;
  for (const auto& path : args.positionals()) {
    try {
      data::Shard shard(path);
      data::check_token_ids(shard, vocab_size);
      int64_t documents = std::count(shard.tokens(), shard.tokens() + shard.size(), data::kEndOfText);
      if (args.flag("--json")) {
        out.push_back({{"file", path}, {"magic", shard.magic()}, {"version", shard.version()},
                       {"tokens", shard.size()}, {"documents", documents}});
      } else {
        std::printf("%s: magic %d, version %d, %lld tokens, %lld documents\n", path.c_str(), shard.magic(),
                    shard.version(), static_cast<long long>(shard.size()), static_cast<long long>(documents));
      }
    } catch (const UsageError& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "error: %s\n", e.what());
      ++bad;
    }
  }
  if (args.flag("--json")) std::cout << out.dump(2) << "\n";
  if (bad > 0) std::fprintf(stderr, "shard-info: %d of %zu files are bad (listed above)\n", bad, args.positionals().size());
  return bad > 0 ? kExitUsage : 0;
}

}  // namespace moelaw::cli
