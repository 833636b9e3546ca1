// `moelaw encode [--tokenizer DIR]`: text on stdin -> GPT-2 ids on stdout, one line.
#include <charconv>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

namespace moelaw::cli {

int cmd_encode(const Argv& argv) {
  Args args("encode", argv, {{"--tokenizer", true}},
            "moelaw encode [--tokenizer DIR] < TEXT\n\n"
            "Encodes stdin with GPT-2's byte-level BPE and prints the ids on one line, separated\n"
            "by single spaces. The text is ordinary: a literal <|endoftext|> is encoded as text.\n"
            "Any bytes are accepted; invalid UTF-8 is encoded byte-level and decodes back exactly.\n"
            "  --tokenizer DIR   directory with encoder.json and vocab.bpe (default:\n"
            "                    $MOELAW_TOKENIZER_DIR, else the one scripts/setup.sh fills)\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(0, 0);
  auto tok = tokenizer::Gpt2Tokenizer::load(tokenizer::Gpt2Tokenizer::resolve_dir(args.value("--tokenizer")));
  std::string text(std::istreambuf_iterator<char>(std::cin), {});
  std::vector<uint32_t> ids = tok.encode(text);
  std::string line;
  line.reserve(ids.size() * 6 + 1);
  char digits[16];
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line.push_back(' ');
    auto r = std::to_chars(digits, digits + sizeof digits, ids[i]);
    line.append(digits, r.ptr);
  }
  line.push_back('\n');
  std::cout.write(line.data(), static_cast<std::streamsize>(line.size()));
  return 0;
}

}  // namespace moelaw::cli
