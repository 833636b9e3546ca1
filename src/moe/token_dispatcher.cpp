#include "moe/token_dispatcher.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace moelaw::moe {

TokenDispatcher::TokenDispatcher(parallel::DeviceExchange* exchange, int64_t experts)
    : exchange_(exchange), experts_(experts) {
  if (exchange_) {
    ranks_ = exchange_->size();
    rank_ = exchange_->rank();
  }
  if (experts_ % ranks_ != 0)
    throw std::invalid_argument(std::to_string(experts_) + " experts do not split over " + std::to_string(ranks_) +
                                " expert-parallel ranks");
}

void TokenDispatcher::plan(const std::vector<int64_t>& kept) {
  const int64_t per = experts_per_rank();
  send_rows_per_rank_.assign(static_cast<size_t>(ranks_), 0);
  sent_rows_ = 0;
  for (int64_t e = 0; e < experts_; ++e) {
    send_rows_per_rank_[e / per] += kept[e];
    sent_rows_ += kept[e];
  }
  if (ranks_ == 1) {
    recv_counts_ = kept;
  } else {
    // kept is laid out by destination then local expert: exactly the all-to-all's layout.
    const auto t0 = std::chrono::steady_clock::now();
    recv_counts_ = exchange_->alltoall_counts(kept, per);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  recv_rows_per_rank_.assign(static_cast<size_t>(ranks_), 0);
  recv_rows_ = 0;
  for (int64_t s = 0; s < ranks_; ++s)
    for (int64_t j = 0; j < per; ++j) {
      recv_rows_per_rank_[s] += recv_counts_[s * per + j];
      recv_rows_ += recv_counts_[s * per + j];
    }
}

template <typename T>
const T* TokenDispatcher::exchange(const T* rows, const std::vector<int64_t>& send_rows, T* out,
                                   const std::vector<int64_t>& recv_rows, int64_t width) {
  if (ranks_ == 1) return rows;
  if constexpr (std::is_same_v<T, float>) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<int64_t> send_counts(send_rows.size()), recv_counts(recv_rows.size());
    for (size_t r = 0; r < send_rows.size(); ++r) send_counts[r] = send_rows[r] * width;
    for (size_t r = 0; r < recv_rows.size(); ++r) recv_counts[r] = recv_rows[r] * width;
    exchange_->alltoallv(rows, send_counts, out, recv_counts);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  } else {
    throw std::logic_error("expert parallelism over ranks exchanges float32 rows only");
  }
}

template <typename T>
const T* TokenDispatcher::forward(const T* send, T* recv, int64_t width) {
  return exchange(send, send_rows_per_rank_, recv, recv_rows_per_rank_, width);
}

template <typename T>
const T* TokenDispatcher::reverse(const T* back, T* out, int64_t width) {
  return exchange(back, recv_rows_per_rank_, out, send_rows_per_rank_, width);
}

template const float* TokenDispatcher::forward<float>(const float*, float*, int64_t);
template const float* TokenDispatcher::reverse<float>(const float*, float*, int64_t);
template const double* TokenDispatcher::forward<double>(const double*, double*, int64_t);
template const double* TokenDispatcher::reverse<double>(const double*, double*, int64_t);

}  // namespace moelaw::moe
