#include "parallel/staged_exchange.hpp"

#include <numeric>
#include <stdexcept>
#include <string>

namespace moelaw::parallel {

void StagedExchange::allreduce_sum(float* data, size_t count) {
  if (count == 0 || comm_.size() == 1) return;
  host_.resize(count);
  memory_.copy_to_host(host_.data(), data, count * sizeof(float));
  comm_.allreduce_sum(host_.data(), count);
  memory_.copy_to_device(data, host_.data(), count * sizeof(float));
}

std::vector<int64_t> StagedExchange::alltoall_counts(const std::vector<int64_t>& send, int64_t per_rank) {
  if (comm_.size() == 1) return send;
  return comm_.alltoall(send, per_rank);
}

void StagedExchange::alltoallv(const float* send, const std::vector<int64_t>& send_counts, float* recv,
                               const std::vector<int64_t>& recv_counts) {
  const int64_t sent = std::accumulate(send_counts.begin(), send_counts.end(), int64_t{0});
  const int64_t expected = std::accumulate(recv_counts.begin(), recv_counts.end(), int64_t{0});
  host_.resize(size_t(sent));
  memory_.copy_to_host(host_.data(), send, size_t(sent) * sizeof(float));
  std::vector<int64_t> arrived_counts;
  std::vector<float> arrived = comm_.size() == 1 ? host_ : comm_.alltoallv(host_, send_counts, arrived_counts);
  if (comm_.size() == 1) arrived_counts = send_counts;
  if (arrived_counts != recv_counts)
    throw std::logic_error("alltoallv on rank " + std::to_string(comm_.rank()) + ": " +
                           std::to_string(arrived.size()) + " floats arrived, " + std::to_string(expected) +
                           " were announced");
  memory_.copy_to_device(recv, arrived.data(), arrived.size() * sizeof(float));
}

}  // namespace moelaw::parallel
