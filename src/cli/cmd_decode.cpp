// `moelaw decode [--tokenizer DIR]`: whitespace-separated GPT-2 ids on stdin -> their exact bytes.
#include <cctype>
#include <charconv>
#include <iostream>
#include <iterator>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

namespace moelaw::cli {
namespace {

// Ids in the order given; a word that is not a decimal number is a usage error naming its
// position (1-based) so that a broken id list can be fixed by hand.
std::vector<uint32_t> parse_ids(const std::string& text) {
  std::vector<uint32_t> ids;
  size_t i = 0;
  while (true) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) return ids;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view word(text.data() + start, i - start);
    uint32_t id = 0;
    auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
    if (ec == std::errc::result_out_of_range && end == word.data() + word.size())
      id = UINT32_MAX;  // all digits but huge: reported below as outside the vocabulary
    else if (ec != std::errc() || end != word.data() + word.size())
      throw UsageError("moelaw decode: '" + std::string(word.substr(0, 40)) + "' at position " +
                       std::to_string(ids.size() + 1) + " (byte " + std::to_string(start) +
                       ") is not a token id");
    ids.push_back(id);
  }
}

}  // namespace

int cmd_decode(const Argv& argv) {
  Args args("decode", argv, {{"--tokenizer", true}},
            "moelaw decode [--tokenizer DIR] < IDS\n\n"
            "Decodes whitespace-separated GPT-2 token ids on stdin and writes their exact bytes.\n"
            "A word that is not an id, or an id outside the vocabulary, is an error (exit 2)\n"
            "naming its position.\n"
            "  --tokenizer DIR   directory with encoder.json and vocab.bpe (default:\n"
            "                    $MOELAW_TOKENIZER_DIR, else the one scripts/setup.sh fills)\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(0, 0);
  auto tok = tokenizer::Gpt2Tokenizer::load(tokenizer::Gpt2Tokenizer::resolve_dir(args.value("--tokenizer")));
  std::string text(std::istreambuf_iterator<char>(std::cin), {});
  std::vector<uint32_t> ids = parse_ids(text);
  std::string bytes;
  try {
    bytes = tok.decode(ids);
  } catch (const UsageError& e) {
    throw UsageError(std::string("moelaw decode: ") + e.what());
  }
  std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return 0;
}

}  // namespace moelaw::cli
