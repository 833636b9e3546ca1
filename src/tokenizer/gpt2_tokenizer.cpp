#include "tokenizer/gpt2_tokenizer.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "tokenizer/byte_pair_encoder.hpp"
#include "tokenizer/byte_unicode.hpp"
#include "tokenizer/pretokenizer.hpp"

namespace moelaw::tokenizer {

namespace {

constexpr size_t kVocabSize = 50257;
constexpr size_t kCacheLimit = 1 << 16;  // pieces remembered per thread

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UsageError(path + ": cannot read the GPT-2 vocabulary; run scripts/setup.sh (which fetches it) or pass "
                            "--tokenizer DIR / set MOELAW_TOKENIZER_DIR to a directory with encoder.json and vocab.bpe");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

struct Gpt2Tokenizer::Impl {
  PreTokenizer pretokenizer;
  std::vector<std::string> id_bytes;  // raw bytes of every token
  std::unique_ptr<BytePairEncoder> bpe;

  // Frequent words repeat: remember their tokens per thread (the tokenizer stays const).
  struct Cache {
    const Impl* owner = nullptr;
    std::unordered_map<std::string, std::vector<uint32_t>> pieces;
  };

  void encode_piece(std::string_view piece, std::vector<uint32_t>& out) const {
    thread_local Cache cache;
    if (cache.owner != this || cache.pieces.size() > kCacheLimit) {
      cache.pieces.clear();
      cache.owner = this;
    }
    if (piece.size() > 64) {  // long pieces are rare: not worth remembering
      bpe->encode(piece, out);
      return;
    }
    auto [it, inserted] = cache.pieces.try_emplace(std::string(piece));
    if (inserted) bpe->encode(piece, it->second);
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
};

Gpt2Tokenizer::Gpt2Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gpt2Tokenizer::Gpt2Tokenizer(Gpt2Tokenizer&&) noexcept = default;
Gpt2Tokenizer& Gpt2Tokenizer::operator=(Gpt2Tokenizer&&) noexcept = default;
Gpt2Tokenizer::~Gpt2Tokenizer() = default;

std::string Gpt2Tokenizer::resolve_dir(const std::optional<std::string>& flag) {
  if (flag) return *flag;
  if (const char* env = std::getenv("MOELAW_TOKENIZER_DIR"); env && *env) return env;
  return MOELAW_DEFAULT_TOKENIZER_DIR;
}

Gpt2Tokenizer Gpt2Tokenizer::load(const std::string& dir) {
  const std::string encoder_path = dir + "/encoder.json", merges_path = dir + "/vocab.bpe";
  auto impl = std::make_unique<Impl>();
  std::unordered_map<std::string, uint32_t> ids;

  nlohmann::json encoder;
  try {
    encoder = nlohmann::json::parse(read_file(encoder_path));
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(encoder_path + ": not valid JSON: " + e.what());
  }
  if (!encoder.is_object() || encoder.size() != kVocabSize)
    throw UsageError(encoder_path + ": expected an object of " + std::to_string(kVocabSize) + " tokens");
  impl->id_bytes.resize(kVocabSize);
  std::vector<bool> seen(kVocabSize);
  for (auto& [text, value] : encoder.items()) {
    if (!value.is_number_unsigned() || value.get<uint64_t>() >= kVocabSize)
      throw UsageError(encoder_path + ": token '" + text + "' has an id outside 0.." + std::to_string(kVocabSize - 1));
    auto id = value.get<uint32_t>();
    if (seen[id]) throw UsageError(encoder_path + ": id " + std::to_string(id) + " is used twice");
    seen[id] = true;
    std::string bytes;
    if (id == kEndOfText) {
      if (text != "<|endoftext|>") throw UsageError(encoder_path + ": id 50256 is not <|endoftext|>");
      bytes = text;  // decodes to its text; never produced by encode()
    } else {
      try {
        bytes = vocabulary_text_to_bytes(text);
      } catch (const std::invalid_argument& e) {
        throw UsageError(encoder_path + ": " + e.what());
      }
      ids.emplace(bytes, id);
    }
    impl->id_bytes[id] = bytes;
  }
  std::vector<uint32_t> byte_ids(256);
  for (int b = 0; b < 256; ++b) {
    auto it = ids.find(std::string(1, static_cast<char>(b)));
    if (it == ids.end()) throw UsageError(encoder_path + ": byte " + std::to_string(b) + " has no token");
    byte_ids[b] = it->second;
  }

  std::istringstream merges_text(read_file(merges_path));
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, uint32_t>> merges;
  std::string line;
  long number = 0;
  while (std::getline(merges_text, line)) {
    ++number;
    if (number == 1 && line.rfind("#version", 0) == 0) continue;
    if (line.empty()) continue;
    auto space = line.find(' ');
    auto bad = [&](const std::string& why) { return UsageError(located(merges_path, number, why)); };
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
      throw bad("expected two tokens separated by one space");
    std::string left, right;
    try {
      left = vocabulary_text_to_bytes(line.substr(0, space));
      right = vocabulary_text_to_bytes(line.substr(space + 1));
    } catch (const std::invalid_argument& e) {
      throw bad(e.what());
    }
    auto l = ids.find(left), r = ids.find(right), m = ids.find(left + right);
    if (l == ids.end() || r == ids.end() || m == ids.end()) throw bad("merge of tokens not in encoder.json");
    merges.push_back({{l->second, r->second}, m->second});
  }
  if (merges.size() != 50000)
    throw UsageError(merges_path + ": expected 50000 merges, found " + std::to_string(merges.size()));
  impl->bpe = std::make_unique<BytePairEncoder>(std::move(byte_ids), merges);
  return Gpt2Tokenizer(std::move(impl));
}

void Gpt2Tokenizer::encode_append(std::string_view text, std::vector<uint32_t>& out) const {
  std::vector<Piece> pieces;
  impl_->pretokenizer.split(text, pieces);
  for (const auto& p : pieces) impl_->encode_piece(text.substr(p.offset, p.length), out);
}

std::vector<uint32_t> Gpt2Tokenizer::encode(std::string_view text) const {
  std::vector<uint32_t> out;
  out.reserve(text.size() / 3);
  encode_append(text, out);
  return out;
}

std::string Gpt2Tokenizer::decode(std::span<const uint32_t> ids) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= impl_->id_bytes.size())
      throw UsageError("token " + std::to_string(i + 1) + ": id " + std::to_string(ids[i]) +
                       " is outside the vocabulary (0.." + std::to_string(impl_->id_bytes.size() - 1) + ")");
    out += impl_->id_bytes[ids[i]];
  }
  return out;
}

size_t Gpt2Tokenizer::vocab_size() const { return impl_->id_bytes.size(); }

}  // namespace moelaw::tokenizer
