#pragma once
// The MPI world and the CPU reference backend, made once per test program: MPI may be initialised
// only once, and every test of a program shares the ranks it was started on.
#include "backend/backend.hpp"
#include "parallel/mpi_communicator.hpp"

namespace moelaw::testing {

inline moelaw::parallel::MpiCommunicator& world() {
  static auto w = moelaw::parallel::MpiCommunicator::world();
  return *w;
}

template <typename T = float>
moelaw::backend::Backend<T>& cpu_backend() {
  static const auto backend = moelaw::backend::make_cpu_backend<T>();
  return *backend;
}

}  // namespace moelaw::testing
