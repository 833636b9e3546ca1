// `moelaw shard-info FILE... [--json]`: header fields, token and document counts of token shards.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "data/shard_format.hpp"

namespace moelaw::cli {

int cmd_shard_info(const Argv& argv) {
  Args args("shard-info", argv, {{"--json", false}},
            "moelaw shard-info FILE... [--json]\n\n"
            "Checks token shards in llm.c's layout (header of 256 int32: magic 20240520, version 1,\n"
            "token count; then uint16 tokens) and prints their header fields, token count and\n"
            "document count (the number of <|endoftext|> tokens). A file with a wrong magic,\n"
            "version or size is an error (exit status 2) naming the file and the problem.\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, SIZE_MAX);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& path : args.positionals()) {
    data::Shard shard(path);
    int64_t documents = std::count(shard.tokens(), shard.tokens() + shard.size(), data::kEndOfText);
    if (args.flag("--json")) {
      out.push_back({{"file", path}, {"magic", shard.magic()}, {"version", shard.version()},
                     {"tokens", shard.size()}, {"documents", documents}});
    } else {
      std::printf("%s: magic %d, version %d, %lld tokens, %lld documents\n", path.c_str(), shard.magic(),
                  shard.version(), static_cast<long long>(shard.size()), static_cast<long long>(documents));
    }
  }
  if (args.flag("--json")) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace moelaw::cli
