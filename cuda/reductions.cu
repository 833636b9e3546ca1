// Deterministic sums in double: fixed chunks of 4096 elements, one block each, partial sums
// copied back and added in order on the host (as the CPU reference adds its chunks).
#include <vector>

#include "block_reduce.cuh"
#include "check.hpp"
#include "cuda_memory.hpp"
#include "kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

constexpr int64_t kChunk = 4096;

template <bool kSquares>
__global__ void chunk_sum_kernel(double* partial, const float* x, int64_t n) {
  const int64_t start = blockIdx.x * kChunk, end = min(n, start + kChunk);
  double acc = 0;
  for (int64_t i = start + threadIdx.x; i < end; i += blockDim.x) {
    const double v = x[i];
    acc += kSquares ? v * v : v;
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// Partial sums in a buffer kept between calls: a cudaMalloc/cudaFree pair per call would
// synchronise the whole device (every stream) in the middle of the overlapped backward, where the
// gradient exchange runs on its own stream. The copy back waits for the default stream only.
template <bool kSquares>
double chunked_sum(const float* x, int64_t n) {
  if (n == 0) return 0;
  static backend::DeviceArray<double> partials;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  double* partial = partials.grow(device_memory(), size_t(chunks));
  chunk_sum_kernel<kSquares><<<unsigned(chunks), 256>>>(partial, x, n);
  MOELAW_CUDA_LAUNCHED();
  std::vector<double> host(static_cast<size_t>(chunks));
  MOELAW_CUDA_CHECK(cudaMemcpy(host.data(), partial, host.size() * sizeof(double), cudaMemcpyDeviceToHost));
  double total = 0;
  for (double p : host) total += p;
  return total;
}

}  // namespace

double sum(const float* x, int64_t n) { return chunked_sum<false>(x, n); }
double sum_squares(const float* x, int64_t n) { return chunked_sum<true>(x, n); }

}  // namespace moelaw::cuda::kernels
