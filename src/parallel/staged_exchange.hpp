#pragma once
// DeviceExchange over MPI, staged through host memory: each collective copies its device buffers
// to host vectors, runs the Communicator's MPI call, and copies the result back. The transport
// for the CPU backend (whose memory is host memory: the copies are plain memcpy), for GPU ranks
// without NCCL, and for several ranks sharing one GPU.
#include <vector>

#include "backend/device_memory.hpp"
#include "parallel/communicator.hpp"
#include "parallel/device_exchange.hpp"

namespace moelaw::parallel {

class StagedExchange final : public DeviceExchange {
 public:
  // Both must outlive the exchange.
  StagedExchange(Communicator& comm, backend::DeviceMemory& memory) : comm_(comm), memory_(memory) {}

  int rank() const override { return comm_.rank(); }
  int size() const override { return comm_.size(); }
  Transport transport() const override { return Transport::mpi_staged; }

  void allreduce_sum(float* data, size_t count) override;
  std::vector<int64_t> alltoall_counts(const std::vector<int64_t>& send, int64_t per_rank) override;
  void alltoallv(const float* send, const std::vector<int64_t>& send_counts, float* recv,
                 const std::vector<int64_t>& recv_counts) override;

 private:
  Communicator& comm_;
  backend::DeviceMemory& memory_;
  std::vector<float> host_;  // staging buffer, kept between calls
};

}  // namespace moelaw::parallel
