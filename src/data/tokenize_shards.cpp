#include "data/tokenize_shards.hpp"

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "data/shard_sink.hpp"

namespace moelaw::data {

TokenizeProgress tokenize_to_shards(const tokenizer::Gpt2Tokenizer& tok, DocumentReader& reader,
                                    const TokenizeOptions& options,
                                    const std::function<void(const TokenizeProgress&)>& progress) {
  std::filesystem::create_directories(options.out_dir);
  ShardSink sink(options.out_dir, options.prefix, options.shard_tokens);
  TokenizeProgress p;
  std::vector<std::string> batch;
  std::vector<std::vector<uint32_t>> encoded;
  bool more = true;
  while (more) {
    batch.clear();
    size_t bytes = 0;
    while (bytes < options.batch_bytes) {
      auto doc = reader.next();
      if (!doc) {
        more = false;
        break;
      }
      bytes += doc->size();
      batch.push_back(std::move(*doc));
    }
    encoded.assign(batch.size(), {});
    std::vector<std::thread> pool;
    std::atomic<size_t> next{0};
    for (int64_t t = 0; t < options.threads; ++t)
      pool.emplace_back([&] {
        for (size_t i; (i = next++) < batch.size();) {
          encoded[i].push_back(tokenizer::Gpt2Tokenizer::kEndOfText);
          tok.encode_append(batch[i], encoded[i]);
        }
      });
    for (auto& th : pool) th.join();
    for (const auto& ids : encoded) sink.add(ids);
    if (!more) sink.finish();
    p.documents += static_cast<int64_t>(batch.size());
    p.bytes = reader.bytes_read();
    p.tokens = sink.tokens();
    p.shards = sink.shards();
    p.finished = !more;
    if (progress) progress(p);
  }
  return p;
}

}  // namespace moelaw::data
