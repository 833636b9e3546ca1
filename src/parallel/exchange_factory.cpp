#include "parallel/exchange_factory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "common/errors.hpp"
#include "parallel/staged_exchange.hpp"

namespace moelaw::parallel {

namespace {

NcclProvider& provider() {
  static NcclProvider p;
  return p;
}

// A rank's contribution as a fixed-size record, so that one allgather collects all of them.
struct Record {
  char cuda_backend;
  char nccl_built;
  char gpu[190];
  char why_no_gpu[320];
};

void copy_truncated(char* dst, size_t capacity, const std::string& s) {
  const size_t n = std::min(s.size(), capacity - 1);
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "?";
  return buf;
}

RankTransportInfo this_rank(backend::Backend<float>& backend) {
  RankTransportInfo me;
  me.cuda_backend = backend.kind() == backend::BackendKind::cuda;
  const auto& p = provider();
  me.nccl_built = p.make && p.gpu_bus_id;
  if (me.cuda_backend && me.nccl_built) {
    std::string bus = p.gpu_bus_id(&me.why_no_gpu);
    if (!bus.empty()) me.gpu = host_name() + "/" + bus;
  }
  return me;
}

std::vector<RankTransportInfo> gather(Communicator& comm, const RankTransportInfo& me) {
  Record mine{};
  mine.cuda_backend = me.cuda_backend;
  mine.nccl_built = me.nccl_built;
  copy_truncated(mine.gpu, sizeof mine.gpu, me.gpu);
  copy_truncated(mine.why_no_gpu, sizeof mine.why_no_gpu, me.why_no_gpu);
  std::vector<uint8_t> bytes = comm.allgather(&mine, sizeof mine);
  std::vector<RankTransportInfo> all(size_t(comm.size()));
  for (size_t r = 0; r < all.size(); ++r) {
    Record rec;
    std::memcpy(&rec, bytes.data() + r * sizeof rec, sizeof rec);
    all[r] = {rec.cuda_backend != 0, rec.nccl_built != 0, rec.gpu, rec.why_no_gpu};
  }
  return all;
}

}  // namespace

void register_nccl_exchange(NcclProvider p) { provider() = p; }

std::string nccl_unavailable_reason(const std::vector<RankTransportInfo>& ranks) {
  std::map<std::string, size_t> owner;  // GPU -> first rank on it
  for (size_t r = 0; r < ranks.size(); ++r) {
    const auto& info = ranks[r];
    const std::string who = "rank " + std::to_string(r);
    if (!info.cuda_backend) return who + " trains on the CPU backend (NCCL moves GPU buffers only)";
    if (!info.nccl_built) return "this build has no NCCL (nccl.h or libnccl was not found when it was configured)";
    if (info.gpu.empty()) return who + " cannot identify its GPU: " + info.why_no_gpu;
    auto [it, first] = owner.emplace(info.gpu, r);
    if (!first)
      return "ranks " + std::to_string(it->second) + " and " + std::to_string(r) + " share the GPU " + info.gpu +
             ", and NCCL needs one GPU per rank (more ranks on a node than GPUs)";
  }
  return "";
}

std::unique_ptr<DeviceExchange> make_device_exchange(Communicator& comm, backend::Backend<float>& backend,
                                                     const std::string& requested, std::string* note) {
  if (requested != "auto" && requested != "mpi" && requested != "nccl")
    throw UsageError("parallel.transport: unknown transport \"" + requested + "\" (auto, mpi or nccl)");
  if (requested == "mpi") return std::make_unique<StagedExchange>(comm, backend);
  // Every rank sees every rank's answer, so all take the same branch: no rank is left waiting
  // in NCCL's initialisation while another went the MPI way.
  const std::string why_not = nccl_unavailable_reason(gather(comm, this_rank(backend)));
  if (requested == "nccl") {
    if (!why_not.empty())
      throw UsageError("parallel.transport = \"nccl\" is impossible here: " + why_not + " (rank " +
                       std::to_string(comm.rank()) + ")");
    return provider().make(comm);
  }
  if (comm.size() == 1) {
    if (note) *note = "a single rank exchanges nothing";
    return std::make_unique<StagedExchange>(comm, backend);
  }
  if (!why_not.empty()) {
    if (note) *note = why_not;
    return std::make_unique<StagedExchange>(comm, backend);
  }
  return provider().make(comm);
}

}  // namespace moelaw::parallel
