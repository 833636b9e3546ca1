// GPT-2 tokenizer throughput on a text file, single-thread and on every core.
//   build/bench/bench_tokenizer [TEXT] [--tokenizer DIR]
// TEXT defaults to ../shared/data/fineweb-edu-sample.txt (relative to the working directory).
// MB are 10^6 bytes of input text; each figure is the best of repeated runs of at least a second.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/file_io.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using moelaw::tokenizer::Gpt2Tokenizer;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Best MB/s over rounds in which `threads` threads each encode the whole text once.
double throughput(const Gpt2Tokenizer& tok, const std::string& text, unsigned threads) {
  double best = 0;
  auto start = Clock::now();
  for (int round = 0; round < 3 || seconds_since(start) < 2.0; ++round) {
    auto t = Clock::now();
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < threads; ++i) pool.emplace_back([&] { tok.encode(text); });
    for (auto& th : pool) th.join();
    best = std::max(best, threads * text.size() / 1e6 / seconds_since(t));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "../shared/data/fineweb-edu-sample.txt";
  std::optional<std::string> dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--tokenizer" && i + 1 < argc)
      dir = argv[++i];
    else
      path = a;
  }
  std::string text;
  try {
    text = moelaw::read_file(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
    return 2;
  }
  const auto tok = Gpt2Tokenizer::load(Gpt2Tokenizer::resolve_dir(dir));
  const size_t tokens = tok.encode(text).size();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::printf("text: %s, %zu bytes, %zu tokens\n", path.c_str(), text.size(), tokens);
  std::printf("moelaw (C++, PCRE2 JIT), 1 thread: %.1f MB/s\n", throughput(tok, text, 1));
  std::printf("moelaw (C++, PCRE2 JIT), %u threads: %.1f MB/s\n", cores, throughput(tok, text, cores));
  return 0;
}
