#pragma once
// Groups the gradient ranges that backward finishes into buckets worth one collective each.
// Backward finishes the buffer from its end toward its start (head, last block, ..., first
// block, embedding), so each range handed in must end where the previous one began; ranges
// merge until a bucket holds at least `min_count` values, and flush() hands on the remainder.
#include <cstdint>
#include <functional>

namespace moelaw::model {

// Called with a range of the gradient buffer (offsets in values) that no later work changes.
using GradientsReady = std::function<void(int64_t first, int64_t count)>;

class GradientBuckets {
 public:
  // `total`: the buffer's length; `min_count`: the least a bucket holds (but the remainder).
  GradientBuckets(GradientsReady ready, int64_t total, int64_t min_count);

  // [first, first + count) is final; it must end where the previous range began.
  void add(int64_t first, int64_t count);
  // Hands on what is pending; the ranges added must have reached the buffer's start.
  void flush();

 private:
  GradientsReady ready_;
  int64_t min_count_;
  int64_t pending_first_;      // the start of everything added so far
  int64_t pending_count_ = 0;  // how much of that has not been handed on yet
};

}  // namespace moelaw::model
