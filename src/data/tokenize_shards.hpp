#pragma once
// `moelaw tokenize`'s workflow: documents encoded with GPT-2's tokenizer, each as <|endoftext|>
// followed by its tokens, into shards (data/shard_sink.hpp). Documents are read in batches and
// encoded in parallel; each batch is appended in input order, so the shards are the same for any
// thread count.
#include <cstdint>
#include <functional>
#include <string>

#include "data/document_reader.hpp"
#include "tokenizer/gpt2_tokenizer.hpp"

namespace moelaw::data {

struct TokenizeOptions {
  std::string out_dir, prefix;
  int64_t shard_tokens = 100'000'000;
  int64_t threads = 1;
  size_t batch_bytes = 16 << 20;  // documents read before each parallel encoding
};

struct TokenizeProgress {
  uint64_t bytes = 0;  // of input read
  int64_t documents = 0, tokens = 0;
  int shards = 0;      // written so far (all of them once finished)
  bool finished = false;
};

// Creates out_dir; calls `progress` after every batch (and once finished) if given.
TokenizeProgress tokenize_to_shards(const tokenizer::Gpt2Tokenizer& tokenizer, DocumentReader& reader,
                                    const TokenizeOptions& options,
                                    const std::function<void(const TokenizeProgress&)>& progress = {});

}  // namespace moelaw::data
