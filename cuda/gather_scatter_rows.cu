// Rows regrouped by an index (the MoE exchange's reordering between rank-major and expert-major
// layouts): gather out[i] = in[index[i]], scatter out[index[i]] = in[i]. One block per row.
#include "check.hpp"
#include "kernels.hpp"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kThreads = 128;

__global__ void gather_rows_kernel(float* out, const float* in, const int32_t* index, int64_t width) {
  const int64_t i = blockIdx.x;
  const float* src = in + int64_t(index[i]) * width;
  for (int64_t c = threadIdx.x; c < width; c += blockDim.x) out[i * width + c] = src[c];
}

__global__ void scatter_rows_kernel(float* out, const float* in, const int32_t* index, int64_t width) {
  const int64_t i = blockIdx.x;
  float* dst = out + int64_t(index[i]) * width;
  for (int64_t c = threadIdx.x; c < width; c += blockDim.x) dst[c] = in[i * width + c];
}

}  // namespace

void gather_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width) {
  if (rows == 0) return;
  gather_rows_kernel<<<unsigned(rows), kThreads>>>(out, in, index, width);
  MOELAW_CUDA_LAUNCHED();
}

void scatter_rows(float* out, const float* in, const int32_t* index, int64_t rows, int64_t width) {
  if (rows == 0) return;
  scatter_rows_kernel<<<unsigned(rows), kThreads>>>(out, in, index, width);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
