// The embedding lookup and its scatter-add. The backward must be parallel over positions (16K of
// them in a step of the benchmark models) yet deterministic, so it uses no atomics: positions are
// grouped by token on the host (the token ids are 4 bytes a position), then one block per distinct
// token adds its positions' rows in position order, which is also the CPU reference's order, so
// the two agree exactly.
#include <algorithm>
#include <vector>

#include "check.hpp"
#include "cuda_memory.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

__global__ void embedding_forward_kernel(float* out, const int32_t* tokens, const float* table, int64_t N,
                                         int64_t C) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= N * C) return;
  const int64_t n = i / C, c = i % C;
  out[i] = table[int64_t(tokens[n]) * C + c];
}

// Block u handles distinct token tokens_sorted[u]: its positions are order[first[u] .. first[u+1]).
__global__ void embedding_backward_kernel(float* dtable, const float* dout, const int32_t* distinct,
                                          const int32_t* first, const int32_t* order, int64_t C) {
  const int64_t u = blockIdx.x;
  float* row = dtable + int64_t(distinct[u]) * C;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
    float acc = row[c];
    for (int32_t i = first[u]; i < first[u + 1]; ++i) acc += dout[int64_t(order[i]) * C + c];
    row[c] = acc;
  }
}

}  // namespace

void embedding_forward(float* out, const int32_t* tokens, const float* table, int64_t N, int64_t C) {
  if (N * C == 0) return;
  embedding_forward_kernel<<<blocks_for(N * C, 256), 256>>>(out, tokens, table, N, C);
  MOELAW_CUDA_LAUNCHED();
}

void embedding_backward(float* dtable, const float* dout, const int32_t* tokens, int64_t N, int64_t C) {
  if (N * C == 0) return;
  std::vector<int32_t> host(static_cast<size_t>(N));
  MOELAW_CUDA_CHECK(cudaMemcpy(host.data(), tokens, host.size() * sizeof(int32_t), cudaMemcpyDeviceToHost));
  // Positions sorted by token, stably (so each token's positions stay in order).
  std::vector<int32_t> order(host.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int32_t(i);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return host[a] < host[b]; });
  std::vector<int32_t> distinct, first;
  for (size_t i = 0; i < order.size(); ++i)
    if (i == 0 || host[order[i]] != host[order[i - 1]]) {
      distinct.push_back(host[order[i]]);
      first.push_back(int32_t(i));
    }
  first.push_back(int32_t(order.size()));
  // One upload: distinct | first | order.
  std::vector<int32_t> packed;
  packed.reserve(distinct.size() + first.size() + order.size());
  packed.insert(packed.end(), distinct.begin(), distinct.end());
  packed.insert(packed.end(), first.begin(), first.end());
  packed.insert(packed.end(), order.begin(), order.end());
  static backend::DeviceArray<int32_t> index;  // kept between calls (see reductions.cu)
  int32_t* device = index.grow(device_memory(), packed.size());
  MOELAW_CUDA_CHECK(cudaMemcpy(device, packed.data(), packed.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  const int threads = C >= 512 ? 256 : 128;
  embedding_backward_kernel<<<unsigned(distinct.size()), threads>>>(
      dtable, dout, device, device + distinct.size(), device + distinct.size() + first.size(), C);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
