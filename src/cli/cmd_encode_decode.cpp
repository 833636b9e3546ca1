// `moelaw encode` (text on stdin -> GPT-2 ids) and `moelaw decode` (ids on stdin -> the bytes).
#include <cctype>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

namespace moelaw::cli {

namespace {

std::string read_stdin() {
  std::string all;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) all.append(buf, n);
  return all;
}

const char* kTokenizerHelp =
    "  --tokenizer DIR   directory with encoder.json and vocab.bpe (default: $MOELAW_TOKENIZER_DIR,\n"
    "                    else the copy scripts/setup.sh puts in .cache/gpt2)\n";

}  // namespace

int cmd_encode(const Argv& argv) {
  Args args("encode", argv, {{"--tokenizer", true}},
            std::string("moelaw encode [--tokenizer DIR] < TEXT\n\n"
                        "Encodes UTF-8 text from stdin with GPT-2's tokenizer, exactly as OpenAI's encoder does,\n"
                        "and prints the ids separated by single spaces with one newline at the end. The text is\n"
                        "ordinary text: a literal <|endoftext|> is encoded as text. Invalid UTF-8 is kept byte\n"
                        "by byte, so `moelaw decode` gives back the input exactly.\n") + kTokenizerHelp);
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(0, 0);
  auto tok = tokenizer::Gpt2Tokenizer::load(tokenizer::Gpt2Tokenizer::resolve_dir(args.value("--tokenizer")));
  auto ids = tok.encode(read_stdin());
  std::string out;
  out.reserve(ids.size() * 6 + 1);
  char num[16];
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out.push_back(' ');
    auto [end, ec] = std::to_chars(num, num + sizeof num, ids[i]);
    out.append(num, end);
  }
  out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int cmd_decode(const Argv& argv) {
  Args args("decode", argv, {{"--tokenizer", true}},
            std::string("moelaw decode [--tokenizer DIR] < IDS\n\n"
                        "Reads whitespace-separated GPT-2 ids from stdin and writes the exact bytes they stand for.\n"
                        "A token that is not a number, or an id outside 0..50256, is an error naming its position.\n") +
                kTokenizerHelp);
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(0, 0);
  auto tok = tokenizer::Gpt2Tokenizer::load(tokenizer::Gpt2Tokenizer::resolve_dir(args.value("--tokenizer")));
  std::string in = read_stdin();
  std::vector<uint32_t> ids;
  size_t i = 0;
  while (i < in.size()) {
    while (i < in.size() && std::isspace(static_cast<unsigned char>(in[i]))) ++i;
    if (i == in.size()) break;
    size_t j = i;
    while (j < in.size() && !std::isspace(static_cast<unsigned char>(in[j]))) ++j;
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(in.data() + i, in.data() + j, value);
    if (ec != std::errc() || end != in.data() + j || value >= tok.vocab_size())
      throw UsageError("decode: token " + std::to_string(ids.size() + 1) + " ('" + in.substr(i, std::min<size_t>(j - i, 40)) +
                       "') is not an id in 0.." + std::to_string(tok.vocab_size() - 1));
    ids.push_back(static_cast<uint32_t>(value));
    i = j;
  }
  std::string bytes = tok.decode(ids);
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  return 0;
}

}  // namespace moelaw::cli
