#pragma once
// MPI implementation of Communicator. MPI is initialised on first use, so commands that never
// communicate (encode, fit, ...) never start MPI; a process not started by mpirun is a world of 1.
#include <mpi.h>

#include "parallel/communicator.hpp"

namespace moelaw::parallel {

class MpiCommunicator final : public Communicator {
 public:
  // The world communicator (initialises MPI; finalised at exit).
  static std::unique_ptr<MpiCommunicator> world();
  explicit MpiCommunicator(MPI_Comm comm, bool owned);
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(float* data, size_t count) override;
  void allreduce_sum(double* data, size_t count) override;
  int64_t allreduce_max(int64_t value) override;
  void broadcast(void* data, size_t bytes, int root) override;
  std::vector<uint8_t> allgather(const void* data, size_t bytes) override;
  std::vector<uint8_t> gather(const void* data, size_t bytes, int root) override;
  std::vector<float> alltoallv(const std::vector<float>& send, const std::vector<int64_t>& send_counts,
                               std::vector<int64_t>& recv_counts) override;
  std::vector<int64_t> alltoall(const std::vector<int64_t>& send, int64_t per_rank) override;
  void barrier() override;
  std::unique_ptr<Communicator> split(int color, int key) override;

 private:
  MPI_Comm comm_;
  bool owned_;
  int rank_ = 0, size_ = 1;
};

}  // namespace moelaw::parallel
