#include "tokenizer/pair_table.hpp"

namespace moelaw::tokenizer {

PairTable::PairTable(const std::vector<Merge>& merges) {
  size_t size = 16;
  while (size < merges.size() * 2) size *= 2;  // at most half full keeps probes short
  slots_.assign(size, Entry{kEmpty, 0, 0});
  mask_ = size - 1;
  for (uint32_t rank = 0; rank < merges.size(); ++rank) {
    const Merge& m = merges[rank];
    uint64_t key = pack(m.left, m.right);
    size_t slot = hash(key) & mask_;
    while (slots_[slot].key != kEmpty && slots_[slot].key != key) slot = (slot + 1) & mask_;
    if (slots_[slot].key == key) continue;  // a repeated rule: the earlier line wins
    slots_[slot] = Entry{key, rank, m.merged};
  }
}

}  // namespace moelaw::tokenizer
