#pragma once
// Sum and max over the threads of a block (blockDim.x a multiple of 32, at most 1024); every
// thread gets the result.

namespace moelaw::cuda {

template <typename V>
__device__ V warp_sum(V x) {
  for (int offset = 16; offset > 0; offset /= 2) x += __shfl_down_sync(0xffffffffu, x, offset);
  return x;
}

template <typename V>
__device__ V warp_max(V x) {
  for (int offset = 16; offset > 0; offset /= 2) x = max(x, __shfl_down_sync(0xffffffffu, x, offset));
  return x;
}

template <typename V, bool kMax>
__device__ V block_reduce(V x) {
  __shared__ V partial[32];
  __shared__ V result;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  x = kMax ? warp_max(x) : warp_sum(x);
  if (lane == 0) partial[warp] = x;
  __syncthreads();
  if (warp == 0) {
    V y = lane < warps ? partial[lane] : (kMax ? partial[0] : V(0));
    y = kMax ? warp_max(y) : warp_sum(y);
    if (lane == 0) result = y;
  }
  __syncthreads();
  const V out = result;
  __syncthreads();  // partial and result may be reused by the next call
  return out;
}

template <typename V>
__device__ V block_sum(V x) { return block_reduce<V, false>(x); }
template <typename V>
__device__ V block_max(V x) { return block_reduce<V, true>(x); }

}  // namespace moelaw::cuda
