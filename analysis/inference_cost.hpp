#pragma once
// Inference-aware optima (Yun et al. 2024, "Toward inference-optimal Mixture-of-Expert large
// language models"). Serving a model on G GPUs of M0 bytes each: the weights and the KV cache share
// G·M0, so the batch is at most (G·M0 − weight bytes) / (KV bytes per sequence, on average
// (2p + n)·h·l values for prompt p and output n, width h, l layers). Each decoding iteration
// serves the whole batch, and batch/n sequences are replaced (prefilled) per iteration, so
// throughput = batch / (prefill latency of batch/n sequences + decode latency of the batch), each
// latency from a roofline: max(FLOPs / (G·peak), bytes / (G·bandwidth)). The cost per generated
// token is G·c0 / throughput (c0 per GPU-second), minimised over G. Models are moelaw's shape
// (DESIGN.md) and the loss is the joint law reduced at each E (optimal.hpp).
#include <vector>

#include "analysis/optimal.hpp"

namespace moelaw::analysis {

struct GpuSpec {
  double memory_bytes = 80e9;     // M0
  double bandwidth = 3.35e12;     // bytes/s (H100 SXM HBM3)
  double peak_flops = 989e12;     // bf16 dense
  double cost_per_second = 2.0 / 3600;  // c0: 2 per GPU-hour
  int max_gpus = 64;
};

struct ServingSpec {
  double prompt = 512, output = 512;  // p and n, tokens per sequence
  double bytes_per_value = 2;         // weights and KV cache (bf16)
};

struct ModelDims {
  double d_model, n_blocks, experts, n_act, n_total;
};
// The shape rule's model with this N_act (embeddings included) and E experts (top-1).
ModelDims model_dims(double n_act, double experts);

struct ServingCost {
  int gpus = 0;
  double batch = 0;  // sequences in flight (0: the weights do not fit)
  double prefill_latency = 0, decode_latency = 0;  // seconds per decoding iteration
  double throughput = 0;                           // generated tokens per second
  double cost_per_token = 0;                       // infinite when the model does not fit
};

// On exactly `gpus` GPUs; then the cheapest G in 1..max_gpus.
ServingCost serving_cost(const ModelDims& m, const GpuSpec& gpu, const ServingSpec& s, int gpus);
ServingCost cheapest_serving(const ModelDims& m, const GpuSpec& gpu, const ServingSpec& s);

struct InferenceOptimum {
  double experts = 1, n_act = 0, tokens = 0, loss = 0;  // over-trained: N ≤ the compute optimum
  ServingCost serving;
  bool feasible = false;
};

// Algorithm 1: per E, the smallest N (bisection along L(N, C/6N) up to the compute-optimal N) whose
// loss reaches `target`, served as cheaply as possible; the E with the least cost.
InferenceOptimum least_cost_for_loss(const std::vector<Reduced>& laws, double budget, double target,
                                     const GpuSpec& gpu, const ServingSpec& s, std::vector<InferenceOptimum>* per_e = nullptr);
// Algorithm 2: per E, the largest N up to the compute optimum whose cheapest serving costs at most
// `bound` per token (bisection: the cost grows with N), and its loss; the E with the least loss.
InferenceOptimum least_loss_for_cost(const std::vector<Reduced>& laws, double budget, double bound,
                                     const GpuSpec& gpu, const ServingSpec& s, std::vector<InferenceOptimum>* per_e = nullptr);

}  // namespace moelaw::analysis
