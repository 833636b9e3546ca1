#pragma once
// The collective operations training needs, behind a small interface: MPI implements it now
// (src/parallel/mpi_communicator.*); the CUDA backend adds NCCL under the same calls.
#include <cstdint>
#include <memory>
#include <vector>

namespace moelaw::parallel {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  virtual void allreduce_sum(float* data, size_t count) = 0;
  virtual void allreduce_sum(double* data, size_t count) = 0;
  virtual int64_t allreduce_max(int64_t value) = 0;
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
  // Every rank's `count` bytes, concatenated in rank order.
  virtual std::vector<uint8_t> allgather(const void* data, size_t bytes) = 0;
  // Every rank's `bytes` bytes (the same number on each), concatenated in rank order on `root`;
  // empty on the other ranks. Any size (checkpoints gather sharded weights).
  virtual std::vector<uint8_t> gather(const void* data, size_t bytes, int root) = 0;
  // Variable all-to-all of floats: send_counts[r] values go to rank r; returns what arrives,
  // in rank order, with recv_counts filled in (exchanged first).
  virtual std::vector<float> alltoallv(const std::vector<float>& send,
                                       const std::vector<int64_t>& send_counts,
                                       std::vector<int64_t>& recv_counts) = 0;
  // Fixed-size all-to-all of integers: `per_rank` values to each rank, the same from each.
  virtual std::vector<int64_t> alltoall(const std::vector<int64_t>& send, int64_t per_rank) = 0;
  virtual void barrier() = 0;
  // Ranks with the same color form a sub-communicator, ordered by key.
  virtual std::unique_ptr<Communicator> split(int color, int key) = 0;
};

}  // namespace moelaw::parallel
