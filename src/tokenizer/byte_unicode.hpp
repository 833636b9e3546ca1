#pragma once
// GPT-2 stores its vocabulary as text: every byte is written as a printable Unicode character
// (printable ASCII and Latin-1 bytes as themselves, the other 68 bytes as U+0100 onwards).
// These functions undo that mapping so the tokenizer works on raw bytes.
#include <string>

namespace moelaw::tokenizer {

// The raw bytes of a vocabulary entry written in GPT-2's byte-to-character alphabet.
// Throws std::invalid_argument for a character outside that alphabet.
std::string vocabulary_text_to_bytes(const std::string& utf8);

}  // namespace moelaw::tokenizer
