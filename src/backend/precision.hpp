#pragma once
// Number formats of a training backend. fp32: every operation in fp32 (the CPU reference, and the
// CUDA backend when it is checked op by op against it). bf16: mixed precision on the GPU, with
// matrix products and attention on bf16 tensor cores with fp32 accumulation and fp32 master
// weights, optimizer state and reductions.
#include <string>

namespace moelaw::backend {

enum class Precision { fp32, bf16 };

inline const char* precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "fp32"; }

}  // namespace moelaw::backend
