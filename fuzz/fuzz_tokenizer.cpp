// GPT-2's tokenizer on arbitrary bytes: decode(encode(x)) == x for every byte string (its
// promise, gpt2_tokenizer.hpp), every id inside the vocabulary; and decoding arbitrary ids is
// the text or a UsageError.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

using moelaw::tokenizer::Gpt2Tokenizer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Gpt2Tokenizer tokenizer = Gpt2Tokenizer::load(Gpt2Tokenizer::resolve_dir(std::nullopt));
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ids = tokenizer.encode(text);
  for (uint32_t id : ids)
    if (id >= tokenizer.vocab_size()) __builtin_trap();
  if (tokenizer.decode(ids) != text) __builtin_trap();
  std::vector<uint32_t> raw(size / 2);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = data[2 * i] | (uint32_t{data[2 * i + 1]} << 8);
  try {
    tokenizer.decode(raw);
  } catch (const moelaw::UsageError&) {
  }
  return 0;
}
