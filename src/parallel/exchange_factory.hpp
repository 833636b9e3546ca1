#pragma once
// Which DeviceExchange a group of ranks uses: `parallel.transport` = "auto", "mpi" or "nccl".
// The library knows nothing of NCCL; a build with it registers it here from the top (src/cli),
// as GPU backends are registered (backend/registry.hpp).
//
// auto picks NCCL when every rank of the group computes on the CUDA backend, the build has NCCL,
// the group has more than one rank, and no two ranks share a GPU (NCCL refuses that; several
// ranks per GPU go through MPI staged in host memory). Otherwise the MPI-staged transport.
// Usable for any Communicator: the data-parallel world now, an expert group later.
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "parallel/communicator.hpp"
#include "parallel/device_exchange.hpp"

namespace moelaw::parallel {

struct NcclProvider {
  // The PCI bus id of the GPU this process computes on, or "" with the reason.
  std::string (*gpu_bus_id)(std::string* reason) = nullptr;
  // Collective over `comm`; the GPU is the current device (the one the CUDA backend set).
  std::unique_ptr<DeviceExchange> (*make)(Communicator& comm) = nullptr;
};

void register_nccl_exchange(NcclProvider provider);

// What one rank contributes to the choice (gathered from every rank of the group).
struct RankTransportInfo {
  bool cuda_backend = false;
  bool nccl_built = false;
  std::string gpu;  // "host/pci-bus-id" of its GPU; "" when unknown
  std::string why_no_gpu;
};

// Why the group cannot use NCCL ("" when it can). The same on every rank: a pure function of
// what all ranks contributed, so every rank takes the same transport.
std::string nccl_unavailable_reason(const std::vector<RankTransportInfo>& ranks);

// Collective over `comm` (every rank must call it). `backend` holds the buffers the exchange
// moves and must outlive it, like `comm`. "nccl" where NCCL is impossible is a UsageError saying
// why. `note`, when given, receives the reason auto chose the MPI-staged transport.
std::unique_ptr<DeviceExchange> make_device_exchange(Communicator& comm, backend::Backend<float>& backend,
                                                     const std::string& requested, std::string* note = nullptr);

}  // namespace moelaw::parallel
