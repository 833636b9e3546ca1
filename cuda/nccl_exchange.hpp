#pragma once
// DeviceExchange over NCCL: the gradient all-reduce and the token all-to-all run GPU to GPU on
// the device buffers, with no copy through host memory. One process per GPU (NCCL refuses two
// ranks on one GPU; parallel/exchange_factory.hpp checks before choosing this). The NCCL
// communicator is built over the ranks of an MPI Communicator, whose rank 0 creates the unique
// id and broadcasts it. Built only when NCCL was found (MOELAW_HAVE_NCCL).
#include <memory>
#include <string>

#include "parallel/communicator.hpp"
#include "parallel/device_exchange.hpp"

struct ncclComm;  // nccl.h's ncclComm_t is `ncclComm*`; kept out of this header

namespace moelaw::cuda {

class NcclExchange final : public parallel::DeviceExchange {
 public:
  // Collective over `comm`, which must outlive the exchange. The GPU is the calling thread's
  // current device: the CUDA backend sets it when it is made, so make the backend first.
  explicit NcclExchange(parallel::Communicator& comm);
  ~NcclExchange() override;
  NcclExchange(const NcclExchange&) = delete;
  NcclExchange& operator=(const NcclExchange&) = delete;

  int rank() const override { return comm_.rank(); }
  int size() const override { return comm_.size(); }
  parallel::Transport transport() const override { return parallel::Transport::nccl; }

  // The collectives are queued on the legacy default stream, where the CUDA backend's kernels,
  // cuBLAS and its blocking copies run: work queued before them finishes first, work after them
  // starts after, and a copy to the host sees their result. They return once queued.
  void allreduce_sum(float* data, size_t count) override;
  // On a stream of the exchange's own, after the compute stream's work queued so far (which
  // wrote `data`), so the sum runs while the compute stream goes on. Returns once queued.
  void start_allreduce_sum(float* data, size_t count) override;
  // The compute stream waits (on the GPU, not the host) for every sum started so far.
  void finish_allreduces() override;
  std::vector<int64_t> alltoall_counts(const std::vector<int64_t>& send, int64_t per_rank) override;
  void alltoallv(const float* send, const std::vector<int64_t>& send_counts, float* recv,
                 const std::vector<int64_t>& recv_counts) override;

 private:
  void release_stream_and_events();

  parallel::Communicator& comm_;
  ncclComm* nccl_ = nullptr;
  int device_ = -1;
  // For start_allreduce_sum; opaque CUDA handles (cudaStream_t, cudaEvent_t) kept out of this header.
  void* comm_stream_ = nullptr;
  void* compute_ready_ = nullptr;  // recorded on the compute stream before each started sum
  void* sums_done_ = nullptr;      // recorded on comm_stream_ by finish_allreduces()
  bool sums_pending_ = false;
};

// The PCI bus id of the calling thread's current GPU, or "" with the reason.
std::string current_gpu_bus_id(std::string* reason);

// For parallel::register_nccl_exchange.
std::unique_ptr<parallel::DeviceExchange> make_nccl_exchange(parallel::Communicator& comm);

}  // namespace moelaw::cuda
