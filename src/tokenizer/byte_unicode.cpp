#include "tokenizer/byte_unicode.hpp"

#include <array>
#include <stdexcept>

namespace moelaw::tokenizer {

namespace {

// Code point -> byte, for the 256 code points of GPT-2's alphabet (-1 elsewhere).
const std::array<int, 324>& code_point_to_byte() {
  static const std::array<int, 324> table = [] {
    std::array<int, 324> t{};
    t.fill(-1);
    auto printable = [](int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); };
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      if (printable(b)) t[b] = b;
      else t[next++] = b;
    }
    return t;
  }();
  return table;
}

}  // namespace

std::string vocabulary_text_to_bytes(const std::string& utf8) {
  const auto& table = code_point_to_byte();
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    int cp, len;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) { cp = ((c & 0x1F) << 6) | (utf8[i + 1] & 0x3F); len = 2; }
    else throw std::invalid_argument("vocabulary entry outside GPT-2's byte alphabet: '" + utf8 + "'");
    if (cp >= static_cast<int>(table.size()) || table[cp] < 0)
      throw std::invalid_argument("vocabulary entry outside GPT-2's byte alphabet: '" + utf8 + "'");
    out.push_back(static_cast<char>(table[cp]));
    i += len;
  }
  return out;
}

}  // namespace moelaw::tokenizer
