#include "parallel/mpi_communicator.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace moelaw::parallel {

namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw std::runtime_error(std::string(what) + " failed: " + std::string(text, len));
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// MPI counts are int: large buffers go in chunks.
constexpr size_t kChunk = INT_MAX / 2;

}  // namespace

std::unique_ptr<MpiCommunicator> MpiCommunicator::world() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors are reported as return codes so they surface as exceptions with a message.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    std::atexit(finalize_at_exit);
  }
  return std::make_unique<MpiCommunicator>(MPI_COMM_WORLD, false);
}

MpiCommunicator::MpiCommunicator(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owned_ && !finalized) MPI_Comm_free(&comm_);
}

void MpiCommunicator::allreduce_sum(float* data, size_t count) {
  for (size_t off = 0; off < count; off += kChunk)
    check(MPI_Allreduce(MPI_IN_PLACE, data + off, static_cast<int>(std::min(kChunk, count - off)),
                        MPI_FLOAT, MPI_SUM, comm_),
          "MPI_Allreduce");
}

void MpiCommunicator::allreduce_sum(double* data, size_t count) {
  for (size_t off = 0; off < count; off += kChunk)
    check(MPI_Allreduce(MPI_IN_PLACE, data + off, static_cast<int>(std::min(kChunk, count - off)),
                        MPI_DOUBLE, MPI_SUM, comm_),
          "MPI_Allreduce");
}

int64_t MpiCommunicator::allreduce_max(int64_t value) {
  check(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_MAX, comm_), "MPI_Allreduce");
  return value;
}

void MpiCommunicator::broadcast(void* data, size_t bytes, int root) {
  auto* p = static_cast<char*>(data);
  for (size_t off = 0; off < bytes; off += kChunk)
    check(MPI_Bcast(p + off, static_cast<int>(std::min(kChunk, bytes - off)), MPI_BYTE, root, comm_),
          "MPI_Bcast");
}

std::vector<uint8_t> MpiCommunicator::allgather(const void* data, size_t bytes) {
  if (bytes > kChunk) throw std::runtime_error("allgather of more than 1 GiB per rank");
  std::vector<uint8_t> out(bytes * size_);
  check(MPI_Allgather(data, static_cast<int>(bytes), MPI_BYTE, out.data(), static_cast<int>(bytes),
                      MPI_BYTE, comm_),
        "MPI_Allgather");
  return out;
}

std::vector<uint8_t> MpiCommunicator::gather(const void* data, size_t bytes, int root) {
  // In pieces of 64 MiB per rank: MPI counts are int, and the root's staging stays small.
  constexpr size_t kPiece = size_t{64} << 20;
  const bool is_root = rank_ == root;
  std::vector<uint8_t> out(is_root ? bytes * size_ : 0), staging(is_root ? std::min(bytes, kPiece) * size_ : 0);
  const auto* in = static_cast<const uint8_t*>(data);
  for (size_t off = 0; off < bytes; off += kPiece) {
    const size_t n = std::min(kPiece, bytes - off);
    check(MPI_Gather(in + off, static_cast<int>(n), MPI_BYTE, staging.data(), static_cast<int>(n), MPI_BYTE, root,
                     comm_),
          "MPI_Gather");
    if (is_root)
      for (int r = 0; r < size_; ++r) std::copy_n(staging.data() + r * n, n, out.data() + r * bytes + off);
  }
  return out;
}

std::vector<float> MpiCommunicator::alltoallv(const std::vector<float>& send,
                                              const std::vector<int64_t>& send_counts,
                                              std::vector<int64_t>& recv_counts) {
  if (static_cast<int>(send_counts.size()) != size_)
    throw std::logic_error("alltoallv: one send count per rank expected");
  recv_counts.assign(size_, 0);
  check(MPI_Alltoall(send_counts.data(), 1, MPI_INT64_T, recv_counts.data(), 1, MPI_INT64_T, comm_),
        "MPI_Alltoall");
  std::vector<int> sc(size_), sd(size_), rc(size_), rd(size_);
  int64_t s_off = 0, r_off = 0;
  for (int r = 0; r < size_; ++r) {
    if (send_counts[r] > INT_MAX || recv_counts[r] > INT_MAX || s_off > INT_MAX || r_off > INT_MAX)
      throw std::runtime_error("alltoallv: more than 2^31 values per exchange");
    sc[r] = static_cast<int>(send_counts[r]);
    sd[r] = static_cast<int>(s_off);
    rc[r] = static_cast<int>(recv_counts[r]);
    rd[r] = static_cast<int>(r_off);
    s_off += send_counts[r];
    r_off += recv_counts[r];
  }
  if (s_off != static_cast<int64_t>(send.size()))
    throw std::logic_error("alltoallv: send counts do not add up to the buffer size");
  std::vector<float> recv(r_off);
  check(MPI_Alltoallv(send.data(), sc.data(), sd.data(), MPI_FLOAT, recv.data(), rc.data(), rd.data(),
                      MPI_FLOAT, comm_),
        "MPI_Alltoallv");
  return recv;
}

std::vector<int64_t> MpiCommunicator::alltoall(const std::vector<int64_t>& send, int64_t per_rank) {
  if (static_cast<int64_t>(send.size()) != per_rank * size_ || per_rank > INT_MAX)
    throw std::logic_error("alltoall: per_rank values for each rank expected");
  std::vector<int64_t> recv(send.size());
  check(MPI_Alltoall(send.data(), static_cast<int>(per_rank), MPI_INT64_T, recv.data(), static_cast<int>(per_rank),
                     MPI_INT64_T, comm_),
        "MPI_Alltoall");
  return recv;
}

void MpiCommunicator::barrier() { check(MPI_Barrier(comm_), "MPI_Barrier"); }

std::unique_ptr<Communicator> MpiCommunicator::split(int color, int key) {
  MPI_Comm sub;
  check(MPI_Comm_split(comm_, color, key, &sub), "MPI_Comm_split");
  MPI_Comm_set_errhandler(sub, MPI_ERRORS_RETURN);
  return std::make_unique<MpiCommunicator>(sub, true);
}

}  // namespace moelaw::parallel
