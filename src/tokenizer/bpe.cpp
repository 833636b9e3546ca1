#include "tokenizer/bpe.hpp"

#include <algorithm>
#include <queue>

namespace moelaw::tokenizer {
namespace {

// Pieces up to this many bytes rescan for the best pair after each merge (quadratic, but with
// no allocation and tiny constants); longer ones, such as runs of spaces or digits, use a heap.
constexpr size_t kShortPiece = 96;

void merge_short(std::string_view piece, const uint32_t (&byte_token)[256], const PairTable& rules,
                 std::vector<uint32_t>& out) {
  uint32_t ids[kShortPiece], ranks[kShortPiece], merged[kShortPiece];
  size_t n = piece.size();
  for (size_t i = 0; i < n; ++i) ids[i] = byte_token[static_cast<unsigned char>(piece[i])];
  for (size_t i = 0; i + 1 < n; ++i) ranks[i] = rules.find(ids[i], ids[i + 1], merged[i]);
  while (n > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < n; ++i)
      if (ranks[i] < ranks[best]) best = i;
    if (ranks[best] == PairTable::kNone) break;
    ids[best] = merged[best];
    for (size_t j = best + 1; j + 1 < n; ++j) {
      ids[j] = ids[j + 1];
      ranks[j] = ranks[j + 1];
      merged[j] = merged[j + 1];
    }
    --n;
    if (best + 1 < n) ranks[best] = rules.find(ids[best], ids[best + 1], merged[best]);
    if (best > 0) ranks[best - 1] = rules.find(ids[best - 1], ids[best], merged[best - 1]);
  }
  out.insert(out.end(), ids, ids + n);
}

// The same merges in O(n log n): symbols are a linked list indexed by their first byte, and a
// min-heap holds candidate pairs by (rank, position); pairs that a merge made stale are skipped.
void merge_long(std::string_view piece, const uint32_t (&byte_token)[256], const PairTable& rules,
                std::vector<uint32_t>& out) {
  const int n = static_cast<int>(piece.size());
  struct Symbol {
    uint32_t id;
    int prev, next;
  };
  struct Candidate {
    uint32_t rank;
    int pos;
    uint32_t left, right, merged;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::vector<Symbol> sym(n);
  for (int i = 0; i < n; ++i) sym[i] = {byte_token[static_cast<unsigned char>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1};
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto offer = [&](int pos) {
    if (pos < 0 || sym[pos].next < 0) return;
    uint32_t left = sym[pos].id, right = sym[sym[pos].next].id, merged = 0;
    uint32_t rank = rules.find(left, right, merged);
    if (rank != PairTable::kNone) heap.push({rank, pos, left, right, merged});
  };
  for (int i = 0; i + 1 < n; ++i) offer(i);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    Symbol& s = sym[c.pos];
    if (s.id != c.left || s.next < 0 || sym[s.next].id != c.right) continue;  // stale
    int gone = s.next;
    s.id = c.merged;
    s.next = sym[gone].next;
    if (s.next >= 0) sym[s.next].prev = c.pos;
    sym[gone].id = PairTable::kNone;
    offer(s.prev);
    offer(c.pos);
  }
  for (int i = 0; i >= 0; i = sym[i].next) out.push_back(sym[i].id);
}

}  // namespace

void bpe_append(std::string_view piece, const uint32_t (&byte_token)[256], const PairTable& rules,
                std::vector<uint32_t>& out) {
  if (piece.size() == 1)
    out.push_back(byte_token[static_cast<unsigned char>(piece[0])]);
  else if (piece.size() <= kShortPiece)
    merge_short(piece, byte_token, rules, out);
  else
    merge_long(piece, byte_token, rules, out);
}

void bpe_append_by_heap(std::string_view piece, const uint32_t (&byte_token)[256],
                        const PairTable& rules, std::vector<uint32_t>& out) {
  if (!piece.empty()) merge_long(piece, byte_token, rules, out);
}

}  // namespace moelaw::tokenizer
