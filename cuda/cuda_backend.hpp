#pragma once
// The CUDA backend: Backend<float> on one GPU. Matrix products through cuBLAS in fp32 (TF32
// tensor cores off, so it can be checked against the CPU reference op by op), or in bf16 mixed
// precision: matrix products on cuBLASLt (cuda/bf16_matmul.hpp) with a bf16 copy of the
// registered weights, and, with heads of 64 or 128, flash attention on tensor cores
// (cuda/flash_attention.hpp, one log-sum-exp per row as its saved state). Otherwise attention
// is batched GEMMs around a causal-softmax kernel with the probabilities as its saved state.
// Kernels for the rest: cuda/kernels.hpp, one file per op (cuda/<op>.cu).
#include <memory>

#include "backend/backend.hpp"
#include "backend/precision.hpp"

namespace moelaw::cuda {

// `device`: the GPU this process uses (ranks on a node take rank % count). `precision`: fp32
// computes every operation in fp32 (checked op by op against the CPU reference); bf16 is mixed
// precision (see backend/precision.hpp).
std::unique_ptr<backend::Backend<float>> make_cuda_backend(int device,
                                                           backend::Precision precision = backend::Precision::fp32);

// The experts' grouped products (Backend::grouped_matmul_*) as one strided-batched cuBLASLt product
// over a padded layout instead of one product per group (cuda/bf16_matmul.hpp). For measuring
// which is faster; bf16 only (throws std::invalid_argument for any other backend).
void set_padded_expert_products(backend::Backend<float>& cuda_backend, bool padded);

}  // namespace moelaw::cuda
