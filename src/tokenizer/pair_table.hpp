#pragma once
// Merge rules keyed by the pair of token ids they join: an open-addressing table, because BPE
// looks a pair up for nearly every byte it encodes and std::unordered_map's node hops dominate.
#include <cstdint>
#include <vector>

#include "tokenizer/vocabulary.hpp"

namespace moelaw::tokenizer {

class PairTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  PairTable() = default;
  explicit PairTable(const std::vector<Merge>& merges);

  // The rank of the rule joining (left, right), kNone if there is none; `merged` gets its id.
  uint32_t find(uint32_t left, uint32_t right, uint32_t& merged) const {
    uint64_t key = pack(left, right);
    for (size_t slot = hash(key) & mask_;; slot = (slot + 1) & mask_) {
      const Entry& e = slots_[slot];
      if (e.key == key) {
        merged = e.merged;
        return e.rank;
      }
      if (e.key == kEmpty) return kNone;
    }
  }

 private:
  struct Entry {
    uint64_t key;
    uint32_t rank, merged;
  };
  static constexpr uint64_t kEmpty = UINT64_MAX;
  static uint64_t pack(uint32_t l, uint32_t r) { return uint64_t{l} << 32 | r; }
  static size_t hash(uint64_t k) { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 32); }

  std::vector<Entry> slots_;
  size_t mask_ = 0;
};

}  // namespace moelaw::tokenizer
