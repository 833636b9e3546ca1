#include "tokenizer/byte_alphabet.hpp"

#include <array>
#include <cstdint>

#include "common/errors.hpp"

namespace moelaw::tokenizer {
namespace {

// Code point -> byte for the 256 characters of the alphabet; -1 elsewhere (code points < 0x144).
std::array<int, 0x144> make_inverse() {
  std::array<int, 0x144> inv;
  inv.fill(-1);
  auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  int shifted = 0;
  for (int b = 0; b < 256; ++b) inv[printable(b) ? b : 0x100 + shifted++] = b;
  return inv;
}

}  // namespace

std::string bytes_from_spelling(std::string_view s, const std::string& where) {
  static const std::array<int, 0x144> inverse = make_inverse();
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      cp = (c & 0x1Fu) << 6 | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      i += 2;
    } else {
      throw UsageError(where + ": token '" + std::string(s) + "' has a character outside GPT-2's byte alphabet");
    }
    if (cp >= inverse.size() || inverse[cp] < 0)
      throw UsageError(where + ": token '" + std::string(s) + "' has a character outside GPT-2's byte alphabet");
    out.push_back(static_cast<char>(inverse[cp]));
  }
  return out;
}

}  // namespace moelaw::tokenizer
