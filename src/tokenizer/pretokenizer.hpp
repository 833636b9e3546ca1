#pragma once
// GPT-2's pre-tokenization: text is cut into pieces by
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (case-sensitive contractions, Unicode letter and number classes, and the look-ahead that leaves
// the last space of a run to the next word), through PCRE2 with its JIT compiler.
//
// \s is JavaScript's whitespace set, as in the reference tokenizers this is tested against
// (gpt-3-encoder, js-tiktoken): Unicode White_Space less U+0085, plus U+FEFF.
//
// Invalid UTF-8: a byte sequence that is not valid UTF-8 cannot match any class, so each maximal
// run of such bytes becomes a piece of its own (encoded byte-level by BPE). Valid text on either
// side is cut exactly as it would be on its own, and every byte is kept, so decoding gives back
// the input byte for byte.
#include <cstddef>
#include <string_view>
#include <vector>

namespace moelaw::tokenizer {

struct Piece {
  size_t offset, length;
};

class PreTokenizer {
 public:
  PreTokenizer();
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Appends the pieces of text, in order; together they cover every byte. Thread-safe.
  void split(std::string_view text, std::vector<Piece>& pieces) const;

 private:
  void* code_;  // pcre2_code_8*
};

}  // namespace moelaw::tokenizer
