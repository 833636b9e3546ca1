#include "model/gradient_buckets.hpp"

#include <stdexcept>
#include <utility>
#include <string>

namespace moelaw::model {

GradientBuckets::GradientBuckets(GradientsReady ready, int64_t total, int64_t min_count)
    : ready_(std::move(ready)), min_count_(min_count), pending_first_(total) {}

void GradientBuckets::add(int64_t first, int64_t count) {
  if (count < 0 || first + count != pending_first_)
    throw std::logic_error("gradient buckets: range [" + std::to_string(first) + ", " + std::to_string(first + count) +
                           ") does not end where the previous one began (" + std::to_string(pending_first_) + ")");
  pending_first_ = first;
  pending_count_ += count;
  if (pending_count_ > 0 && pending_count_ >= min_count_) {
    ready_(pending_first_, pending_count_);
    pending_count_ = 0;
  }
}

void GradientBuckets::flush() {
  if (pending_first_ != 0)
    throw std::logic_error("gradient buckets: values before " + std::to_string(pending_first_) + " were never final");
  if (pending_count_ > 0) ready_(pending_first_, pending_count_);
  pending_count_ = 0;
}

}  // namespace moelaw::model
