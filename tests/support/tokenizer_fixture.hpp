#pragma once
// Shared by the tokenizer tests: the js-tiktoken fixture, the FineWeb-Edu sample in ../shared,
// and one loaded tokenizer.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/gpt2_tokenizer.hpp"

namespace moelaw::testing {

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline const nlohmann::json& tokenizer_fixture() {
  static const nlohmann::json fixture =
      nlohmann::json::parse(read_bytes(MOELAW_SOURCE_DIR "/tests/fixtures/tokenizer_gpt2.json"));
  return fixture;
}

inline const tokenizer::Gpt2Tokenizer& gpt2() {
  static const auto tok = tokenizer::Gpt2Tokenizer::load(tokenizer::Gpt2Tokenizer::resolve_dir(std::nullopt));
  return tok;
}

// FNV-1a 64 as 16 hex digits (the fixture's hash of the sample and of its ids).
inline std::string fnv1a64(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char b : bytes) h = (h ^ b) * 0x100000001b3ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

inline std::string ids_text(const std::vector<uint32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ' ';
    s += std::to_string(ids[i]);
  }
  return s;
}

// The sample text if ../shared has the very file the fixture was made from, else nullopt and
// `why` says what is wrong (tests then skip the sample cases with that message).
inline std::optional<std::string> fixture_sample(std::string& why) {
  const auto& s = tokenizer_fixture()["sample"];
  std::string path = std::string(MOELAW_SHARED_DIR) + "/" + s["path"].get<std::string>();
  std::ifstream probe(path);
  if (!probe) {
    why = path + " is absent";
    return std::nullopt;
  }
  std::string text = read_bytes(path);
  if (text.size() != s["bytes"].get<size_t>() || fnv1a64(text) != s["bytes_fnv1a64"].get<std::string>()) {
    why = path + " is not the file the fixture was made from";
    return std::nullopt;
  }
  return text;
}

}  // namespace moelaw::testing
