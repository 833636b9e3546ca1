#pragma once
// GPT-2's byte-level alphabet: encoder.json and vocab.bpe spell every byte as a printable
// Unicode character (printable Latin-1 bytes stand for themselves, the other 68 bytes are
// shifted to U+0100..U+0143) so that the files stay readable text.
#include <string>
#include <string_view>

namespace moelaw::tokenizer {

// The raw bytes a token is made of, from its spelling in the vocabulary files.
// A character outside the alphabet or malformed UTF-8 is a UsageError naming `where`.
std::string bytes_from_spelling(std::string_view spelling, const std::string& where);

}  // namespace moelaw::tokenizer
