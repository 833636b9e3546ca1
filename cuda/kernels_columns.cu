// Column reductions over token positions: RMSNorm's gain gradient and the embedding's
// scatter-add. Both must be parallel over positions (16K of them in a step of the benchmark
// models) yet deterministic, so neither uses atomics:
//  * gain: partial sums over fixed row ranges, then the ranges added in order;
//  * embedding: positions grouped by token on the host (the token ids are 4 bytes a position),
//    then one block per distinct token adds its positions' rows in position order, which is
//    also the CPU reference's order, so the two agree exactly.
#include <algorithm>
#include <vector>

#include "check.hpp"
#include "device_scratch.hpp"
#include "kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kColumns = 32, kRowLanes = 8;

// Block (32 columns × 8 row lanes) for one range of rows: partial[range, c] = Σ dout·in·rstd.
__global__ void gain_partials_kernel(float* partial, const float* dout, const float* in, const float* rstd,
                                     int64_t N, int64_t C) {
  const int64_t c = int64_t(blockIdx.x) * kColumns + threadIdx.x;
  const int64_t range = blockIdx.y, ranges = gridDim.y;
  const int64_t begin = N * range / ranges, end = N * (range + 1) / ranges;
  float acc = 0;
  if (c < C)
    for (int64_t n = begin + threadIdx.y; n < end; n += kRowLanes) acc += dout[n * C + c] * in[n * C + c] * rstd[n];
  __shared__ float lanes[kRowLanes][kColumns + 1];
  lanes[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    float total = 0;
    for (int i = 0; i < kRowLanes; ++i) total += lanes[i][threadIdx.x];
    partial[range * C + c] = total;
  }
}

__global__ void add_partials_kernel(float* dgain, const float* partial, int64_t ranges, int64_t C) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float total = 0;
  for (int64_t r = 0; r < ranges; ++r) total += partial[r * C + c];
  dgain[c] += total;
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

void rmsnorm_backward_gain(float* dgain, const float* dout, const float* in, const float* rstd, int64_t N,
                           int64_t C) {
  if (N == 0 || C == 0) return;
  static DeviceScratch scratch;
  const int64_t ranges = std::clamp<int64_t>(N / 64, 1, 256);
  float* partial = scratch.get<float>(size_t(ranges * C));
  const dim3 block(kColumns, kRowLanes), grid(unsigned((C + kColumns - 1) / kColumns), unsigned(ranges));
  gain_partials_kernel<<<grid, block>>>(partial, dout, in, rstd, N, C);
  MOELAW_CUDA_LAUNCHED();
  add_partials_kernel<<<unsigned((C + 127) / 128), 128>>>(dgain, partial, ranges, C);
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
  static DeviceScratch scratch;
  int32_t* device = scratch.get<int32_t>(packed.size());
  MOELAW_CUDA_CHECK(cudaMemcpy(device, packed.data(), packed.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  const int threads = C >= 512 ? 256 : 128;
  embedding_backward_kernel<<<unsigned(distinct.size()), threads>>>(
      dtable, dout, device, device + distinct.size(), device + distinct.size() + first.size(), C);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
