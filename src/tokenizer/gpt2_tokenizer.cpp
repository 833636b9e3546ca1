#include "tokenizer/gpt2_tokenizer.hpp"

#include <cstdlib>

#include "common/errors.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/pair_table.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/vocabulary.hpp"

namespace moelaw::tokenizer {

struct Gpt2Tokenizer::Impl {
  Vocabulary vocab;
  PairTable rules;
  Pretokenizer pretokenizer;
};

Gpt2Tokenizer::Gpt2Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gpt2Tokenizer::Gpt2Tokenizer(Gpt2Tokenizer&&) noexcept = default;
Gpt2Tokenizer& Gpt2Tokenizer::operator=(Gpt2Tokenizer&&) noexcept = default;
Gpt2Tokenizer::~Gpt2Tokenizer() = default;

Gpt2Tokenizer Gpt2Tokenizer::load(const std::string& dir) {
  auto impl = std::make_unique<Impl>();
  impl->vocab = read_vocabulary(dir);
  impl->rules = PairTable(impl->vocab.merges);
  return Gpt2Tokenizer(std::move(impl));
}

std::string Gpt2Tokenizer::resolve_dir(const std::optional<std::string>& flag) {
  if (flag) return *flag;
  if (const char* env = std::getenv("MOELAW_TOKENIZER_DIR"); env && *env) return env;
  return MOELAW_DEFAULT_TOKENIZER_DIR;
}

void Gpt2Tokenizer::encode_append(std::string_view text, std::vector<uint32_t>& out) const {
  const Impl& m = *impl_;
  m.pretokenizer.for_each_piece(text, [&](std::string_view piece) {
    // A piece that is a whole token skips merging: BPE of a token's own bytes ends in that token
    // (the test every_token_merges_to_itself checks this for the whole vocabulary).
    if (auto it = m.vocab.id_of.find(piece); it != m.vocab.id_of.end() && it->second != kEndOfText)
      out.push_back(it->second);
    else
      bpe_append(piece, m.vocab.byte_token, m.rules, out);
  });
}

std::vector<uint32_t> Gpt2Tokenizer::encode(std::string_view text) const {
  std::vector<uint32_t> out;
  out.reserve(text.size() / 3 + 8);
  encode_append(text, out);
  return out;
}

std::string Gpt2Tokenizer::decode(std::span<const uint32_t> ids) const {
  const auto& tokens = impl_->vocab.token_bytes;
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= tokens.size())
      throw UsageError("token id " + std::to_string(ids[i]) + " at position " + std::to_string(i + 1) +
                       " is outside the vocabulary (0.." + std::to_string(tokens.size() - 1) + ")");
    out += tokens[ids[i]];
  }
  return out;
}

size_t Gpt2Tokenizer::vocab_size() const { return impl_->vocab.token_bytes.size(); }

}  // namespace moelaw::tokenizer
