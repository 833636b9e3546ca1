// Tokenizer throughput in MB/s on a text file (default: ../shared/data/fineweb-edu-sample.txt),
// on one thread and on every core (the text cut into pieces at spaces, one stream per thread).
//   build/bench/bench_tokenizer [FILE] [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tokenizer/gpt2_tokenizer.hpp"

using moelaw::tokenizer::Gpt2Tokenizer;

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : std::string(MOELAW_SOURCE_DIR_FOR_BENCH) + "/../shared/data/fineweb-edu-sample.txt";
  int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 2;
  }
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  auto tok = Gpt2Tokenizer::load(Gpt2Tokenizer::resolve_dir(std::nullopt));
  const double mb = static_cast<double>(text.size()) / 1e6;

  // One thread: the best of `repeats` full passes (a fresh piece cache each time would only
  // measure warm-up; the first pass already includes it).
  double best = 1e30;
  size_t count = 0;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    count = tok.encode(text).size();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("file %s: %.3f MB, %zu tokens\n", path.c_str(), mb, count);
  std::printf("moelaw 1 thread:   %.2f MB/s (%.0f tokens/s)\n", mb / best, static_cast<double>(count) / best);

  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  // Each thread encodes the whole text: total work threads x text.
  double best_all = 1e30;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back([&] { tok.encode(text); });
    for (auto& th : pool) th.join();
    best_all = std::min(best_all, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("moelaw %u threads: %.2f MB/s\n", threads, mb * threads / best_all);
  return 0;
}
