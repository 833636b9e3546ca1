// The router on the GPU: softmax and top-k per token, then the capacity slots, then the sums of
// the auxiliary losses; and its backward (route_backward_kernel).
//
// Slots must equal the CPU's sequential rule: choices are visited in "capacity order" c = j·N + t
// (choice rank j, then token t), and a choice's slot is the number of choices before it, in that
// order, that went to the same expert. On the GPU that is a stable per-expert prefix count:
//  1. the capacity order is cut into chunks of kChunk choices; each chunk counts its choices per
//     expert (a shared-memory histogram: counts do not depend on order);
//  2. one thread per expert scans the chunk counts: chunk c's base = choices of that expert in
//     earlier chunks; the total is the expert's load, min(load, capacity) what it keeps;
//  3. within a chunk, each warp ranks its lanes among lanes with the same expert
//     (__match_any_sync, then popc of the lower peers), and adds the counts of earlier warps of
//     the chunk. slot = base + earlier warps + rank in warp; slot ≥ capacity drops the choice.
// Every step is order-preserving and integer: slots, drops and counts are exact.
#include <stdexcept>
#include <string>

#include "block_reduce.cuh"
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace moelaw::cuda::kernels {

namespace {

constexpr int kChunk = 256;             // choices per chunk = threads per block of step 3
constexpr int kWarps = kChunk / 32;
constexpr int64_t kMaxExperts = 1024;   // step 3 keeps kWarps·E counters in shared memory

int64_t chunks_of(int64_t choices) { return (choices + kChunk - 1) / kChunk; }

// One thread per token, the reference's order of operations in double: the same probabilities
// and the same top-k (ties to the lower expert index).
__global__ void softmax_top_k_kernel(float* probs, float* lse, int32_t* expert, int64_t N, int64_t E, int64_t k) {
  const int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (t >= N) return;
  float* p = probs + t * E;
  double mx = p[0];
  for (int64_t e = 1; e < E; ++e) mx = fmax(mx, double(p[e]));
  double sum = 0;
  for (int64_t e = 0; e < E; ++e) sum += exp(double(p[e]) - mx);
  const double l = mx + log(sum);
  lse[t] = float(l);
  for (int64_t e = 0; e < E; ++e) p[e] = float(exp(double(p[e]) - l));
  int32_t* chosen = expert + t * k;
  for (int64_t j = 0; j < k; ++j) {
    int32_t best = -1;
    for (int32_t e = 0; e < int32_t(E); ++e) {
      bool taken = false;
      for (int64_t i = 0; i < j; ++i) taken |= chosen[i] == e;
      if (taken) continue;
      // Strictly better: higher probability, or equal and a lower index (e only grows here).
      if (best < 0 || p[e] > p[best]) best = e;
    }
    chosen[j] = best;
  }
}

// The expert of choice c in capacity order (c = j·N + t).
__device__ int32_t expert_in_capacity_order(const int32_t* expert, int64_t c, int64_t N, int64_t k) {
  const int64_t j = c / N, t = c % N;
  return expert[t * k + j];
}

// Step 1: per chunk, choices per expert.
__global__ void chunk_counts_kernel(int32_t* chunk_counts, const int32_t* expert, int64_t N, int64_t E, int64_t k) {
  extern __shared__ int32_t histogram[];
  for (int64_t e = threadIdx.x; e < E; e += blockDim.x) histogram[e] = 0;
  __syncthreads();
  const int64_t c = blockIdx.x * int64_t(kChunk) + threadIdx.x;
  if (c < N * k) atomicAdd(&histogram[expert_in_capacity_order(expert, c, N, k)], 1);
  __syncthreads();
  for (int64_t e = threadIdx.x; e < E; e += blockDim.x) chunk_counts[blockIdx.x * E + e] = histogram[e];
}

// Step 2: chunk counts become each chunk's base (exclusive prefix per expert), in place.
__global__ void chunk_bases_kernel(int32_t* chunk_counts, int64_t* counts, int64_t chunks, int64_t E,
                                   int64_t capacity) {
  const int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (e >= E) return;
  int64_t running = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    const int32_t n = chunk_counts[c * E + e];
    chunk_counts[c * E + e] = int32_t(running);
    running += n;
  }
  counts[e] = running;                                                         // load
  counts[E + e] = capacity >= 0 && running > capacity ? capacity : running;   // kept
}

// Step 3: slots, and the drops of the capacity rule.
__global__ void slots_kernel(int32_t* expert, int32_t* slot, const int32_t* chunk_bases, int64_t N, int64_t E,
                             int64_t k, int64_t capacity) {
  extern __shared__ int32_t warp_counts[];  // [kWarps][E]
  for (int64_t i = threadIdx.x; i < kWarps * E; i += blockDim.x) warp_counts[i] = 0;
  __syncthreads();
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t c = blockIdx.x * int64_t(kChunk) + threadIdx.x;
  const bool valid = c < N * k;
  const int32_t e = valid ? expert_in_capacity_order(expert, c, N, k) : -1;
  const unsigned peers = __match_any_sync(0xffffffffu, e);  // lanes of this warp with the same expert
  const int rank_in_warp = __popc(peers & ((1u << lane) - 1u));
  if (valid && rank_in_warp == 0) warp_counts[warp * E + e] = __popc(peers);
  __syncthreads();
  if (!valid) return;
  int64_t s = chunk_bases[blockIdx.x * E + e] + rank_in_warp;
  for (int w = 0; w < warp; ++w) s += warp_counts[w * E + e];
  const int64_t j = c / N, t = c % N;
  if (capacity >= 0 && s >= capacity) {
    expert[t * k + j] = -1;
    slot[t * k + j] = -1;
  } else {
    slot[t * k + j] = int32_t(s);
  }
}

// Block e < E: Σ_t probs[t, e]; block E: Σ_t lse². Fixed blocks: deterministic.
__global__ void route_sums_kernel(double* sums, const float* probs, const float* lse, int64_t N, int64_t E) {
  const int64_t e = blockIdx.x;
  double s = 0;
  if (e < E) {
    for (int64_t t = threadIdx.x; t < N; t += blockDim.x) s += double(probs[t * E + e]);
  } else {
    for (int64_t t = threadIdx.x; t < N; t += blockDim.x) s += double(lse[t]) * double(lse[t]);
  }
  s = block_sum(s);
  if (threadIdx.x == 0) sums[e] = s;
}

// One thread per token, the reference's arithmetic.
__global__ void route_backward_kernel(float* dlogits, const float* dprobs, const float* probs, const float* lse,
                                      const int64_t* load, int64_t N, int64_t E, int64_t k, double aux_scale,
                                      double z_scale) {
  const int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (t >= N) return;
  const float* p = probs + t * E;
  const float* g = dprobs + t * E;
  auto aux = [&](int64_t e) {
    return float(aux_scale * double(E) * double(load[e]) / double(N * k) / double(N));
  };
  double dot = 0;
  for (int64_t e = 0; e < E; ++e) dot += double(g[e] + aux(e)) * double(p[e]);
  const double zc = z_scale * 2.0 * double(lse[t]) / double(N);
  for (int64_t e = 0; e < E; ++e)
    dlogits[t * E + e] = float(double(p[e]) * (double(g[e] + aux(e)) - dot) + zc * double(p[e]));
}

}  // namespace

size_t moe_route_workspace(int64_t N, int64_t E, int64_t k) { return size_t(chunks_of(N * k) * E); }

void moe_route(float* probs, float* lse, int32_t* expert, int32_t* slot, int64_t* counts, double* sums,
               int32_t* workspace, int64_t N, int64_t E, int64_t k, int64_t capacity) {
  if (E > kMaxExperts) throw std::invalid_argument("moe_route on the GPU: at most 1024 experts, not " + std::to_string(E));
  if (k < 1 || k > E) throw std::invalid_argument("moe_route: k must lie in [1, E]");
  if (N == 0) {
    MOELAW_CUDA_CHECK(cudaMemset(counts, 0, size_t(2 * E) * sizeof(int64_t)));
    MOELAW_CUDA_CHECK(cudaMemset(sums, 0, size_t(E + 1) * sizeof(double)));
    return;
  }
  softmax_top_k_kernel<<<blocks_for(N, 128), 128>>>(probs, lse, expert, N, E, k);
  MOELAW_CUDA_LAUNCHED();
  const int64_t chunks = chunks_of(N * k);
  chunk_counts_kernel<<<unsigned(chunks), kChunk, size_t(E) * sizeof(int32_t)>>>(workspace, expert, N, E, k);
  MOELAW_CUDA_LAUNCHED();
  chunk_bases_kernel<<<blocks_for(E, 128), 128>>>(workspace, counts, chunks, E, capacity);
  MOELAW_CUDA_LAUNCHED();
  slots_kernel<<<unsigned(chunks), kChunk, size_t(kWarps * E) * sizeof(int32_t)>>>(expert, slot, workspace, N, E, k,
                                                                                    capacity);
  MOELAW_CUDA_LAUNCHED();
  route_sums_kernel<<<unsigned(E + 1), 256>>>(sums, probs, lse, N, E);
  MOELAW_CUDA_LAUNCHED();
}

void moe_route_backward(float* dlogits, const float* dprobs, const float* probs, const float* lse,
                        const int64_t* load, int64_t N, int64_t E, int64_t k, double aux_scale, double z_scale) {
  if (N == 0) return;
  route_backward_kernel<<<blocks_for(N, 128), 128>>>(dlogits, dprobs, probs, lse, load, N, E, k, aux_scale, z_scale);
  MOELAW_CUDA_LAUNCHED();
}

}  // namespace moelaw::cuda::kernels
