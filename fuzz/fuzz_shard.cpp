// The token shard reader (header, size, then every token through read()) on arbitrary bytes:
// a UsageError naming the file, or a shard whose tokens can all be read.
#include <cstdint>
#include <vector>

#include "common/errors.hpp"
#include "data/shard_format.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = moelaw::fuzz::input_file(data, size, ".bin");
  try {
    moelaw::data::Shard shard(path);
    std::vector<uint16_t> tokens(static_cast<size_t>(shard.size()));
    shard.read(0, shard.size(), tokens.data());
    for (int64_t i = 0; i < shard.size(); ++i)
      if (tokens[static_cast<size_t>(i)] != shard.tokens()[i]) __builtin_trap();
    moelaw::data::check_token_ids(shard, 50257);
  } catch (const moelaw::UsageError&) {
  }
  return 0;
}
