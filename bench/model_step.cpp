// CPU throughput of one training step's forward and backward on the reference backend.
// usage: build/bench/model_step [d_model=128] [n_blocks=d/64] [seq_len=256] [batch=8] [steps=3]
// Prints tokens/s (forward + backward, no optimizer) and the peak resident memory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "backend/backend.hpp"
#include "model/transformer.hpp"

int main(int argc, char** argv) {
  auto arg = [&](int i, long fallback) { return argc > i ? std::atol(argv[i]) : fallback; };
  const int64_t d = arg(1, 128), blocks = arg(2, d / 64), T = arg(3, 256), B = arg(4, 8),
                steps = arg(5, 3);
  const moelaw::model::ModelDims dims{d, blocks, d / 64, 64, 50257, T};
  auto backend = moelaw::backend::make_cpu_backend<float>();
  moelaw::model::Transformer<float> model(*backend, dims, B);
  model.initialize(1, 0.1);
  std::vector<int32_t> tokens(B * T), targets(B * T);
  for (int64_t i = 0; i < B * T; ++i) {
    tokens[i] = int32_t((i * 7919) % 50257);
    targets[i] = int32_t((i * 104729 + 1) % 50257);
  }
  model.zero_grad();
  model.forward_backward(tokens.data(), targets.data(), B, T);  // warm-up
  const auto start = std::chrono::steady_clock::now();
  double loss = 0;
  for (int64_t s = 0; s < steps; ++s) {
    model.zero_grad();
    loss = model.forward_backward(tokens.data(), targets.data(), B, T).mean();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("d_model %ld blocks %ld seq %ld batch %ld params %ld: %.0f tokens/s, loss %.4f, "
              "peak RSS %.1f MiB\n",
              long(d), long(blocks), long(T), long(B), long(model.table().total()),
              double(B * T * steps) / seconds, loss, double(usage.ru_maxrss) / 1024.0);
  return 0;
}
