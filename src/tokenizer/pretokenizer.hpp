#pragma once
// GPT-2's pre-tokenization: the text is cut into pieces by OpenAI's regular expression
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// and each piece is then merged by BPE on its own. Matching is PCRE2 with JIT, in UTF + UCP mode.
//
// \s is spelled out as Unicode's White_Space set, which is what GPT-2's Python `regex` and
// OpenAI's tiktoken use: it includes U+0085 and excludes U+FEFF (JavaScript's \s, and so
// js-tiktoken, is the other way round on these two; PCRE2's own \s leaves out U+0085).
//
// Invalid UTF-8 (stray continuation bytes, overlong forms, surrogates, truncated sequences,
// code points above U+10FFFF): the regex never matches such bytes, so the text falls into
// maximal valid stretches, each pre-tokenized exactly as if it were the whole text, and maximal
// runs of invalid bytes, each of which is one piece of its own, BPE-merged like any other.
// Every byte lands in exactly one piece, so decode(encode(x)) == x for any byte string.
#include <string_view>

struct pcre2_real_code_8;

namespace moelaw::tokenizer {

class Pretokenizer {
 public:
  Pretokenizer();
  ~Pretokenizer();
  Pretokenizer(const Pretokenizer&) = delete;
  Pretokenizer& operator=(const Pretokenizer&) = delete;

  // Calls visit(piece) for each piece in order; the pieces tile `text` exactly.
  // Const and thread-safe (each thread matches with its own match data).
  template <class Visit>
  void for_each_piece(std::string_view text, Visit&& visit) const {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t start = 0, end = 0;
      if (!next_match(text, pos, start, end)) start = end = text.size();
      if (start > pos) visit(text.substr(pos, start - pos));  // a run the regex cannot match
      if (end > start) visit(text.substr(start, end - start));
      pos = end;
    }
  }

 private:
  // The first match at or after `from`: [start, end). False when there is none.
  bool next_match(std::string_view text, size_t from, size_t& start, size_t& end) const;

  pcre2_real_code_8* code_ = nullptr;
  bool jit_ = false;
};

}  // namespace moelaw::tokenizer
