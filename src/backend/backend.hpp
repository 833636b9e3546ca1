#pragma once
// The seam between the model and the hardware: the op contract (backend/ops.hpp) and the CPU
// reference backend that implements it (BLAS for matrix products, OpenMP for the rest; float for
// training, double for gradient checks). A GPU backend registers itself (backend/registry.hpp).
#include <memory>

#include "backend/ops.hpp"

namespace moelaw::backend {

template <typename T>
std::unique_ptr<Backend<T>> make_cpu_backend();

}  // namespace moelaw::backend
