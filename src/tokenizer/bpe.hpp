#pragma once
// Byte-pair merging of one pre-token: start from its bytes' one-byte tokens and repeatedly join
// the adjacent pair whose rule has the lowest rank (the leftmost one on a tie), as GPT-2 does.
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/pair_table.hpp"

namespace moelaw::tokenizer {

// Appends the ids of `piece` (non-empty) to `out`.
void bpe_append(std::string_view piece, const uint32_t (&byte_token)[256], const PairTable& rules,
                std::vector<uint32_t>& out);

// The O(n log n) heap merge that bpe_append uses for long pieces, for any length: tests compare
// it with the rescanning merge used for short ones.
void bpe_append_by_heap(std::string_view piece, const uint32_t (&byte_token)[256],
                        const PairTable& rules, std::vector<uint32_t>& out);

}  // namespace moelaw::tokenizer
