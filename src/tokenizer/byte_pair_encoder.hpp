#pragma once
// Byte-level BPE with GPT-2's merge order: repeatedly merge the adjacent pair of lowest merge
// rank, leftmost first. A merged token's pairs always rank after the merge that made it, so
// taking merges one at a time from a heap ordered by (rank, position) is the same as GPT-2's
// merge-every-occurrence loop, in O(n log n) even for very long pieces.
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace moelaw::tokenizer {

class BytePairEncoder {
 public:
  // byte_ids[b]: the token of the single byte b; merges: ((left, right) -> merged token), by rank.
  BytePairEncoder(std::vector<uint32_t> byte_ids, const std::vector<std::pair<std::pair<uint32_t, uint32_t>, uint32_t>>& merges);

  void encode(std::string_view piece, std::vector<uint32_t>& out) const;

 private:
  struct Merge {
    uint32_t rank, merged;
  };
  static uint64_t key(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }
  const Merge* find(uint32_t a, uint32_t b) const {
    auto it = merges_.find(key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  }

  std::vector<uint32_t> byte_ids_;
  std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace moelaw::tokenizer
