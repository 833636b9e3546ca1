#pragma once
// Collectives on buffers in a backend's memory (device pointers on a GPU backend), for the two
// exchanges on the hot path: the gradient all-reduce of data parallelism and the token
// all-to-all of expert parallelism. Two transports implement it:
//  * staged over MPI (parallel/staged_exchange.hpp): copies through host memory around the
//    Communicator's MPI calls. Works for every backend, and lets several ranks share one GPU,
//    which NCCL refuses; the CPU backend's "device" memory is host memory.
//  * NCCL (cuda/nccl_exchange.hpp): ncclAllReduce and grouped ncclSend/ncclRecv on the GPU
//    buffers, one process per GPU, the unique id broadcast over MPI.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace moelaw::parallel {

// How an exchange moves its buffers: decisions (overlap, what a timing means) are made on this.
enum class Transport { mpi_staged, nccl };

// The name logs and summary.json use: "mpi-staged", "nccl".
inline const char* transport_name(Transport t) { return t == Transport::nccl ? "nccl" : "mpi-staged"; }

class DeviceExchange {
 public:
  virtual ~DeviceExchange() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual Transport transport() const = 0;

  // In place: data[i] = Σ over ranks of data[i]. `data` is in the backend's memory.
  virtual void allreduce_sum(float* data, size_t count) = 0;
  // The same sum, possibly still running when this returns, so that it overlaps the work that
  // follows (the backward pass of earlier blocks). Until finish_allreduces(), `data` must not be
  // touched, and every rank must start the same sums in the same order. finish_allreduces()
  // orders all started sums before the backend's later work (the optimizer sees the sums);
  // it need not block the host. This default has no overlap: the sum completes in start.
  virtual void start_allreduce_sum(float* data, size_t count) { allreduce_sum(data, count); }
  virtual void finish_allreduces() {}
  // Fixed-size all-to-all of host integers (the per-expert counts that size the row exchange):
  // `per_rank` values to each rank, the same number from each, in rank order.
  virtual std::vector<int64_t> alltoall_counts(const std::vector<int64_t>& send, int64_t per_rank) = 0;
  // Variable all-to-all of floats between buffers in the backend's memory: send_counts[r] floats
  // of `send` (grouped by destination, in rank order) go to rank r; recv_counts[r] floats from
  // rank r land in `recv` in rank order. Both count lists are known on both sides beforehand.
  virtual void alltoallv(const float* send, const std::vector<int64_t>& send_counts, float* recv,
                         const std::vector<int64_t>& recv_counts) = 0;
};

}  // namespace moelaw::parallel
