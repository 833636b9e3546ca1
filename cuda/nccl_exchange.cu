#include "nccl_exchange.hpp"

#include <cuda_runtime.h>
#include <nccl.h>

#include <exception>
#include <numeric>
#include <stdexcept>

namespace moelaw::cuda {

namespace {

// The CUDA backend computes on the legacy default stream (handle 0): queue behind its work.
constexpr cudaStream_t kComputeStream = 0;

[[noreturn]] void fail(int rank, int device, const std::string& what, ncclResult_t result, ncclComm_t comm) {
  std::string msg = "NCCL on rank " + std::to_string(rank) + " (GPU " + std::to_string(device) + "): " + what +
                    " failed: " + ncclGetErrorString(result);
  const char* detail = ncclGetLastError(comm);
  if (detail && *detail) msg += std::string(" (") + detail + ")";
  throw std::runtime_error(msg);
}

void check(int rank, int device, cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error("NCCL exchange on rank " + std::to_string(rank) + " (GPU " + std::to_string(device) +
                             "): " + what + ": " + cudaGetErrorString(err));
}

}  // namespace

NcclExchange::NcclExchange(parallel::Communicator& comm) : comm_(comm) {
  cudaError_t err = cudaGetDevice(&device_);
  if (err != cudaSuccess)
    throw std::runtime_error("NCCL on rank " + std::to_string(comm.rank()) + ": no current GPU: " +
                             cudaGetErrorString(err));
  // Rank 0 creates the id and sends it with its outcome, so a failure there stops every rank
  // here instead of leaving the others waiting in ncclCommInitRank.
  struct Offer {
    int32_t result;
    ncclUniqueId id;
  } offer{};
  if (comm.rank() == 0) offer.result = ncclGetUniqueId(&offer.id);
  comm.broadcast(&offer, sizeof offer, 0);
  if (offer.result != ncclSuccess)
    fail(comm.rank(), device_, "ncclGetUniqueId on rank 0", static_cast<ncclResult_t>(offer.result), nullptr);
  ncclComm_t created = nullptr;
  const ncclResult_t r = ncclCommInitRank(&created, comm.size(), offer.id, comm.rank());
  if (r != ncclSuccess)
    fail(comm.rank(), device_, "ncclCommInitRank over " + std::to_string(comm.size()) + " ranks", r, created);
  nccl_ = created;
  // Non-blocking: a plain stream would synchronise with the legacy default stream (the compute
  // stream) at every launch, which would serialise the all-reduces with backward again.
  cudaStream_t stream = nullptr;
  cudaEvent_t ready = nullptr, done = nullptr;
  err = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  if (err == cudaSuccess) err = cudaEventCreateWithFlags(&ready, cudaEventDisableTiming);
  if (err == cudaSuccess) err = cudaEventCreateWithFlags(&done, cudaEventDisableTiming);
  comm_stream_ = stream;
  compute_ready_ = ready;
  sums_done_ = done;
  if (err != cudaSuccess) {
    release_stream_and_events();
    ncclCommAbort(nccl_);
    nccl_ = nullptr;
    throw std::runtime_error("NCCL on rank " + std::to_string(comm.rank()) +
                             ": the communication stream: " + cudaGetErrorString(err));
  }
}

void NcclExchange::release_stream_and_events() {
  if (compute_ready_) cudaEventDestroy(static_cast<cudaEvent_t>(compute_ready_));
  if (sums_done_) cudaEventDestroy(static_cast<cudaEvent_t>(sums_done_));
  if (comm_stream_) cudaStreamDestroy(static_cast<cudaStream_t>(comm_stream_));
  compute_ready_ = sums_done_ = comm_stream_ = nullptr;
}

NcclExchange::~NcclExchange() {
  if (!nccl_) return;
  // Unwinding from an error, peers may never match what this rank queued: abort rather than
  // wait for it. Otherwise flush, then free. A destructor cannot report failures.
  if (std::uncaught_exceptions() > 0) {
    ncclCommAbort(nccl_);
  } else {
    ncclCommFinalize(nccl_);
    ncclCommDestroy(nccl_);
  }
  // After the communicator: its last operations may have been queued on the stream.
  release_stream_and_events();
}

void NcclExchange::start_allreduce_sum(float* data, size_t count) {
  if (count == 0) return;
  auto stream = static_cast<cudaStream_t>(comm_stream_);
  auto ready = static_cast<cudaEvent_t>(compute_ready_);
  // Waiting captures the event as recorded now, so one event serves every start.
  check(rank(), device_, cudaEventRecord(ready, kComputeStream), "cudaEventRecord on the compute stream");
  check(rank(), device_, cudaStreamWaitEvent(stream, ready, 0), "cudaStreamWaitEvent on the communication stream");
  const ncclResult_t r = ncclAllReduce(data, data, count, ncclFloat, ncclSum, nccl_, stream);
  if (r != ncclSuccess)
    fail(rank(), device_, "ncclAllReduce of " + std::to_string(count) + " floats (overlapped)", r, nccl_);
  sums_pending_ = true;
}

void NcclExchange::finish_allreduces() {
  if (!sums_pending_) return;
  auto done = static_cast<cudaEvent_t>(sums_done_);
  check(rank(), device_, cudaEventRecord(done, static_cast<cudaStream_t>(comm_stream_)),
        "cudaEventRecord on the communication stream");
  check(rank(), device_, cudaStreamWaitEvent(kComputeStream, done, 0), "cudaStreamWaitEvent on the compute stream");
  sums_pending_ = false;
}

void NcclExchange::allreduce_sum(float* data, size_t count) {
  finish_allreduces();  // the started sums run first on the GPU too: one order on the communicator
  if (count == 0) return;
  const ncclResult_t r = ncclAllReduce(data, data, count, ncclFloat, ncclSum, nccl_, kComputeStream);
  if (r != ncclSuccess) fail(rank(), device_, "ncclAllReduce of " + std::to_string(count) + " floats", r, nccl_);
}

std::vector<int64_t> NcclExchange::alltoall_counts(const std::vector<int64_t>& send, int64_t per_rank) {
  // Host integers, small: MPI carries them (they size the device exchange that follows).
  if (comm_.size() == 1) return send;
  return comm_.alltoall(send, per_rank);
}

void NcclExchange::alltoallv(const float* send, const std::vector<int64_t>& send_counts, float* recv,
                             const std::vector<int64_t>& recv_counts) {
  const size_t P = size_t(size());
  if (send_counts.size() != P || recv_counts.size() != P)
    throw std::logic_error("alltoallv on rank " + std::to_string(rank()) + ": " + std::to_string(send_counts.size()) +
                           " send and " + std::to_string(recv_counts.size()) + " receive counts for " +
                           std::to_string(P) + " ranks");
  finish_allreduces();  // the started sums run first on the GPU too: one order on the communicator
  // One group: every send and receive progresses together (separately they could deadlock).
  ncclResult_t r = ncclGroupStart();
  if (r != ncclSuccess) fail(rank(), device_, "ncclGroupStart", r, nccl_);
  std::string failed;
  ncclResult_t first_error = ncclSuccess;
  size_t sent = 0, received = 0;
  for (size_t peer = 0; peer < P && first_error == ncclSuccess; ++peer) {
    const size_t out = size_t(send_counts[peer]), in = size_t(recv_counts[peer]);
    if (out > 0) {
      first_error = ncclSend(send + sent, out, ncclFloat, int(peer), nccl_, kComputeStream);
      if (first_error != ncclSuccess) failed = "ncclSend of " + std::to_string(out) + " floats to rank " + std::to_string(peer);
    }
    if (first_error == ncclSuccess && in > 0) {
      first_error = ncclRecv(recv + received, in, ncclFloat, int(peer), nccl_, kComputeStream);
      if (first_error != ncclSuccess) failed = "ncclRecv of " + std::to_string(in) + " floats from rank " + std::to_string(peer);
    }
    sent += out;
    received += in;
  }
  // The group is closed even after a failed call, so NCCL's group state stays sane.
  r = ncclGroupEnd();
  if (first_error != ncclSuccess) fail(rank(), device_, failed, first_error, nccl_);
  if (r != ncclSuccess) fail(rank(), device_, "ncclGroupEnd of the all-to-all", r, nccl_);
}

std::string current_gpu_bus_id(std::string* reason) {
  int device = -1;
  cudaError_t err = cudaGetDevice(&device);
  char bus[64] = {};
  if (err == cudaSuccess) err = cudaDeviceGetPCIBusId(bus, sizeof bus, device);
  if (err != cudaSuccess) {
    if (reason) *reason = std::string("cudaGetDevice/cudaDeviceGetPCIBusId: ") + cudaGetErrorString(err);
    return "";
  }
  return bus;
}

std::unique_ptr<parallel::DeviceExchange> make_nccl_exchange(parallel::Communicator& comm) {
  return std::make_unique<NcclExchange>(comm);
}

}  // namespace moelaw::cuda
