#pragma once
// Moves token rows between the ranks of an expert-parallel group: each rank holds
// experts_per_rank consecutive experts, and a row chosen for expert e goes to rank
// e / experts_per_rank. Rows travel grouped by destination, then expert, then slot; the counts
// go first (one integer per expert, on the host), then the rows, between buffers in the
// backend's memory (parallel::DeviceExchange). The reverse exchange sends rows back to where they
// came from in the same order. With no exchange (or a group of one) rows stay where they are.
#include <cstdint>
#include <vector>

#include "parallel/device_exchange.hpp"

namespace moelaw::moe {

class TokenDispatcher {
 public:
  TokenDispatcher(parallel::DeviceExchange* exchange, int64_t experts);

  int64_t ranks() const { return ranks_; }
  int64_t rank() const { return rank_; }
  int64_t experts_per_rank() const { return experts_ / ranks_; }
  int64_t first_local_expert() const { return rank_ * experts_per_rank(); }

  // Sets up an exchange where this rank sends kept[e] rows to expert e's owner. Afterwards
  // received_counts()[src * experts_per_rank + j] says how many rows source src sent to local
  // expert j.
  void plan(const std::vector<int64_t>& kept);
  const std::vector<int64_t>& received_counts() const { return recv_counts_; }
  int64_t received_rows() const { return recv_rows_; }
  int64_t sent_rows() const { return sent_rows_; }
  // Wall time spent in the exchanges (counts and rows) since construction, in seconds.
  double exchange_seconds() const { return seconds_; }

  // Rows of `width` values from send order to receive order: returns where they are, which is
  // `send` itself on a single rank, else `recv` (room for received_rows() rows).
  template <typename T>
  const T* forward(const T* send, T* recv, int64_t width);
  // And back: rows in receive order to send order (`out`: room for sent_rows() rows).
  template <typename T>
  const T* reverse(const T* back, T* out, int64_t width);

 private:
  template <typename T>
  const T* exchange(const T* rows, const std::vector<int64_t>& send_rows, T* out,
                    const std::vector<int64_t>& recv_rows, int64_t width);

  parallel::DeviceExchange* exchange_;
  int64_t experts_, ranks_ = 1, rank_ = 0;
  std::vector<int64_t> send_rows_per_rank_, recv_rows_per_rank_, recv_counts_;
  int64_t recv_rows_ = 0, sent_rows_ = 0;
  double seconds_ = 0;
};

}  // namespace moelaw::moe
