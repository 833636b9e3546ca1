#pragma once
// Moves token rows between the ranks of an expert-parallel group: each rank holds
// experts_per_rank consecutive experts, and a row chosen for expert e goes to rank
// e / experts_per_rank. Rows travel grouped by destination, then expert, then slot; the counts
// go first (one integer per expert), then the rows (MPI_Alltoallv through the Communicator).
// The reverse exchange sends rows back to where they came from in the same order.
// With no group (or a group of one) the exchange is the identity.
#include <cstdint>
#include <vector>

#include "parallel/communicator.hpp"

namespace moelaw::moe {

class TokenDispatcher {
 public:
  TokenDispatcher(parallel::Communicator* group, int64_t experts);

  int64_t ranks() const { return ranks_; }
  int64_t rank() const { return rank_; }
  int64_t experts_per_rank() const { return experts_ / ranks_; }
  int64_t first_local_expert() const { return rank_ * experts_per_rank(); }

  // Sets up an exchange where this rank sends kept[e] rows to expert e's owner. Afterwards
  // received_counts()[src * experts_per_rank + j] says how many rows source src sent to local
  // expert j.
  void plan(const std::vector<int64_t>& kept);
  const std::vector<int64_t>& received_counts() const { return recv_counts_; }
  // Wall time spent in the exchanges (counts and rows) since construction, in seconds.
  double exchange_seconds() const { return seconds_; }
  int64_t received_rows() const { return recv_rows_; }

  // Rows of `width` values: send (in send order) -> received (in receive order), and back.
  template <typename T>
  std::vector<T> forward(const std::vector<T>& send, int64_t width);
  template <typename T>
  std::vector<T> reverse(const std::vector<T>& back, int64_t width);

 private:
  template <typename T>
  std::vector<T> exchange(const std::vector<T>& rows, const std::vector<int64_t>& send_rows,
                          const std::vector<int64_t>& recv_rows, int64_t width);

  parallel::Communicator* group_;
  int64_t experts_, ranks_ = 1, rank_ = 0;
  std::vector<int64_t> send_rows_per_rank_, recv_rows_per_rank_, recv_counts_;
  int64_t recv_rows_ = 0;
  double seconds_ = 0;
};

}  // namespace moelaw::moe
