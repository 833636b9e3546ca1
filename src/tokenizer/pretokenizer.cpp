#include "tokenizer/pretokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace moelaw::tokenizer {

namespace {

// JavaScript's \s (see the header).
#define MOELAW_WS "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"
constexpr const char* kPattern =
    "'s|'t|'re|'ve|'m|'ll|'d"
    "| ?\\p{L}+"
    "| ?\\p{N}+"
    "| ?[^" MOELAW_WS "\\p{L}\\p{N}]+"
    "|[" MOELAW_WS "]+(?![^" MOELAW_WS "])"
    "|[" MOELAW_WS "]+";
#undef MOELAW_WS

pcre2_code* as_code(void* p) { return static_cast<pcre2_code*>(p); }

// Match data is per thread so that one PreTokenizer serves many threads.
struct MatchData {
  pcre2_match_data* data = nullptr;
  const void* owner = nullptr;
  ~MatchData() {
    if (data) pcre2_match_data_free(data);
  }
};

}  // namespace

PreTokenizer::PreTokenizer() {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw std::runtime_error("compiling GPT-2's pattern: " + std::string(reinterpret_cast<char*>(message)));
  }
  // JIT is an optimisation: without it (some platforms) matching still works, just slower.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  code_ = code;
}

PreTokenizer::~PreTokenizer() { pcre2_code_free(as_code(code_)); }

void PreTokenizer::split(std::string_view text, std::vector<Piece>& pieces) const {
  thread_local MatchData md;
  if (md.owner != this) {
    if (md.data) pcre2_match_data_free(md.data);
    md.data = pcre2_match_data_create_from_pattern(as_code(code_), nullptr);
    md.owner = this;
  }
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t at = 0;
  while (at < text.size()) {
    int rc = pcre2_match(as_code(code_), subject, text.size(), at, 0, md.data, nullptr);
    size_t start = text.size(), end = text.size();
    if (rc > 0) {
      PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.data);
      start = ov[0];
      end = ov[1];
    } else if (rc != PCRE2_ERROR_NOMATCH) {
      throw std::runtime_error("pre-tokenization failed with PCRE2 error " + std::to_string(rc));
    }
    if (start > at) pieces.push_back({at, start - at});  // bytes no class matches: invalid UTF-8
    if (end == start && start < text.size()) end = start + 1;  // no pattern item matches empty; be safe
    if (end > start) pieces.push_back({start, end - start});
    at = end;
  }
}

}  // namespace moelaw::tokenizer
