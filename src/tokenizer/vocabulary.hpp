#pragma once
// The GPT-2 vocabulary as read from encoder.json (token spelling -> id) and vocab.bpe
// (merge rules, one "left right" pair a line, earlier lines first).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace moelaw::tokenizer {

struct Merge {
  uint32_t left, right, merged;  // ids; rank is the merge's index in Vocabulary::merges
};

struct Vocabulary {
  Vocabulary() = default;
  Vocabulary(Vocabulary&&) = default;
  Vocabulary& operator=(Vocabulary&&) = default;
  Vocabulary(const Vocabulary&) = delete;

  std::vector<std::string> token_bytes;  // id -> raw bytes
  uint32_t byte_token[256];              // byte -> id of the one-byte token
  std::vector<Merge> merges;             // in rank order
  // raw bytes -> id; the keys view token_bytes, so a Vocabulary must not be copied
  std::unordered_map<std::string_view, uint32_t> id_of;
};

// Reads DIR/encoder.json and DIR/vocab.bpe. A missing file is a UsageError that says how to get
// one; a malformed one is a UsageError naming the file and the line or key.
Vocabulary read_vocabulary(const std::string& dir);

}  // namespace moelaw::tokenizer
