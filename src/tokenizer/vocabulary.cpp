#include "tokenizer/vocabulary.hpp"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "tokenizer/byte_alphabet.hpp"

namespace moelaw::tokenizer {
namespace {

std::string read_vocabulary_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw UsageError(path + ": GPT-2 vocabulary file not found; run scripts/setup.sh (or "
                     "scripts/fetch-tokenizer.sh) or pass --tokenizer DIR");
  return moelaw::read_file(path, "cannot read");
}

// encoder.json's (spelling, id) pairs, read with nlohmann's SAX interface: building the DOM of
// 50,257 keys first would double the start-up time of every `moelaw encode`.
class EncoderReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit EncoderReader(std::string path) : path_(std::move(path)) {}
  std::vector<std::pair<std::string, uint64_t>> entries;

  bool start_object(std::size_t) override { return depth_++ == 0 || bad("nested objects"); }
  bool end_object() override { return --depth_, true; }
  bool key(string_t& k) override { return key_ = std::move(k), true; }
  bool number_unsigned(number_unsigned_t n) override { return entries.emplace_back(std::move(key_), n), true; }
  bool number_integer(number_integer_t) override { return bad("a negative id at key '" + key_ + "'"); }
  bool number_float(number_float_t, const string_t&) override { return bad("a fractional id at key '" + key_ + "'"); }
  bool null() override { return bad("null at key '" + key_ + "'"); }
  bool boolean(bool) override { return bad("a boolean at key '" + key_ + "'"); }
  bool string(string_t&) override { return bad("a string id at key '" + key_ + "'"); }
  bool binary(binary_t&) override { return bad("binary data"); }
  bool start_array(std::size_t) override { return bad("an array where an object of ids belongs"); }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    throw UsageError(path_ + ": not valid JSON: " + e.what());
  }

 private:
  bool bad(const std::string& what) { throw UsageError(path_ + ": expected an object mapping tokens to integer ids, found " + what); }
  std::string path_, key_;
  int depth_ = 0;
};

std::vector<std::pair<std::string, uint64_t>> read_encoder(const std::string& path, const std::string& text) {
  EncoderReader reader(path);
  reader.entries.reserve(60000);
  nlohmann::json::sax_parse(text, &reader);
  return std::move(reader.entries);
}

}  // namespace

Vocabulary read_vocabulary(const std::string& dir) {
  const std::string encoder_path = dir + "/encoder.json";
  const std::string merges_path = dir + "/vocab.bpe";
  Vocabulary v;
  std::vector<std::pair<std::string, uint64_t>> entries = read_encoder(encoder_path, read_vocabulary_file(encoder_path));
  if (entries.empty()) throw UsageError(encoder_path + ": expected an object mapping tokens to ids");
  v.token_bytes.resize(entries.size());
  std::vector<bool> seen(entries.size(), false);
  for (auto& [spelling, id] : entries) {
    if (id >= entries.size())
      throw UsageError(encoder_path + ": key '" + spelling + "': id must be below " + std::to_string(entries.size()));
    if (seen[id]) throw UsageError(encoder_path + ": key '" + spelling + "': id " + std::to_string(id) + " used twice");
    seen[id] = true;
    v.token_bytes[id] = bytes_from_spelling(spelling, encoder_path);
  }
  v.id_of.reserve(v.token_bytes.size() * 2);
  for (uint32_t id = 0; id < v.token_bytes.size(); ++id) v.id_of.emplace(v.token_bytes[id], id);
  for (auto& b : v.byte_token) b = UINT32_MAX;
  for (uint32_t id = 0; id < v.token_bytes.size(); ++id)
    if (v.token_bytes[id].size() == 1) v.byte_token[static_cast<unsigned char>(v.token_bytes[id][0])] = id;
  for (int b = 0; b < 256; ++b)
    if (v.byte_token[b] == UINT32_MAX)
      throw UsageError(encoder_path + ": no token for byte " + std::to_string(b));

  std::string merges_text = read_vocabulary_file(merges_path);
  std::string_view rest = merges_text;
  long number = 0;
  auto lookup = [&](const std::string& bytes, std::string_view spelling) {
    auto it = v.id_of.find(bytes);
    if (it == v.id_of.end())
      throw UsageError(located(merges_path, number, "'" + std::string(spelling) + "' is not in encoder.json"));
    return it->second;
  };
  v.merges.reserve(v.token_bytes.size());
  while (!rest.empty()) {
    ++number;
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (number == 1 && line.starts_with("#version"))) continue;
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      throw UsageError(located(merges_path, number, "expected 'LEFT RIGHT'"));
    std::string where = merges_path + ":" + std::to_string(number);
    std::string left = bytes_from_spelling(line.substr(0, space), where);
    std::string right = bytes_from_spelling(line.substr(space + 1), where);
    v.merges.push_back({lookup(left, line.substr(0, space)), lookup(right, line.substr(space + 1)),
                        lookup(left + right, line)});
  }
  if (v.merges.empty()) throw UsageError(merges_path + ": no merge rules");
  return v;
}

}  // namespace moelaw::tokenizer
