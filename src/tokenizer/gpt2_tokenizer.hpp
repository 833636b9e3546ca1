#pragma once
// GPT-2's byte-level BPE tokenizer, exact: the same ids as OpenAI's encoder on any input.
//
// Invalid UTF-8 (which GPT-2's Python encoder cannot be given): the input splits into maximal
// valid-UTF-8 stretches, each encoded exactly as if it were the whole text, and maximal runs of
// invalid bytes, each one pre-token of its own, BPE-merged byte-level. So decode(encode(x)) == x
// for every byte string, and valid text is never affected. Details: pretokenizer.hpp.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace moelaw::tokenizer {

class Gpt2Tokenizer {
 public:
  static constexpr uint32_t kEndOfText = 50256;  // <|endoftext|>

  // Reads DIR/encoder.json and DIR/vocab.bpe; a missing or malformed file is a UsageError.
  static Gpt2Tokenizer load(const std::string& dir);
  // The vocabulary directory: --tokenizer DIR if given, else $MOELAW_TOKENIZER_DIR, else the
  // directory scripts/setup.sh fills (MOELAW_DEFAULT_TOKENIZER_DIR).
  static std::string resolve_dir(const std::optional<std::string>& flag);

  // Ordinary text: a literal "<|endoftext|>" inside it is encoded as text, not as the special id.
  // Const and thread-safe: many threads may encode with one tokenizer.
  std::vector<uint32_t> encode(std::string_view text) const;
  void encode_append(std::string_view text, std::vector<uint32_t>& out) const;
  // The exact bytes; an id outside the vocabulary is a UsageError.
  std::string decode(std::span<const uint32_t> ids) const;
  size_t vocab_size() const;

  Gpt2Tokenizer(Gpt2Tokenizer&&) noexcept;
  Gpt2Tokenizer& operator=(Gpt2Tokenizer&&) noexcept;
  ~Gpt2Tokenizer();

 private:
  struct Impl;
  explicit Gpt2Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace moelaw::tokenizer
