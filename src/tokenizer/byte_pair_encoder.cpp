#include "tokenizer/byte_pair_encoder.hpp"

#include <queue>

namespace moelaw::tokenizer {

BytePairEncoder::BytePairEncoder(std::vector<uint32_t> byte_ids,
                                 const std::vector<std::pair<std::pair<uint32_t, uint32_t>, uint32_t>>& merges)
    : byte_ids_(std::move(byte_ids)) {
  merges_.reserve(merges.size() * 2);
  for (uint32_t rank = 0; rank < merges.size(); ++rank) {
    auto [pair, merged] = merges[rank];
    merges_.emplace(key(pair.first, pair.second), Merge{rank, merged});  // first listing wins
  }
}

void BytePairEncoder::encode(std::string_view piece, std::vector<uint32_t>& out) const {
  const size_t n = piece.size();
  if (n == 0) return;
  if (n == 1) {
    out.push_back(byte_ids_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  // A doubly linked list of tokens over the piece's bytes.
  struct Node {
    uint32_t id;
    int32_t prev, next;
  };
  std::vector<Node> nodes(n);
  for (size_t i = 0; i < n; ++i)
    nodes[i] = {byte_ids_[static_cast<unsigned char>(piece[i])], static_cast<int32_t>(i) - 1,
                i + 1 < n ? static_cast<int32_t>(i + 1) : -1};

  struct Candidate {
    uint32_t rank;
    int32_t left, right;
    uint32_t left_id, right_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    int32_t right = nodes[left].next;
    if (right < 0) return;
    if (const Merge* m = find(nodes[left].id, nodes[right].id))
      heap.push({m->rank, left, right, nodes[left].id, nodes[right].id});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(n); ++i) consider(i);

  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    Node& left = nodes[c.left];
    // Skip candidates made stale by an earlier merge (either side changed or was absorbed).
    if (left.id != c.left_id || left.next != c.right || nodes[c.right].id != c.right_id) continue;
    left.id = find(c.left_id, c.right_id)->merged;
    Node& right = nodes[c.right];
    right.id = UINT32_MAX;  // absorbed
    left.next = right.next;
    if (right.next >= 0) nodes[right.next].prev = c.left;
    consider(left.prev);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0; i = nodes[i].next) out.push_back(nodes[i].id);
}

}  // namespace moelaw::tokenizer
