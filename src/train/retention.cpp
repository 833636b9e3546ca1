#include "train/retention.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace moelaw::train {

namespace {
bool pinned(const config::CheckpointConfig& c, int64_t tokens) {
  return std::find(c.pin_tokens.begin(), c.pin_tokens.end(), tokens) != c.pin_tokens.end();
}
}  // namespace

bool checkpoint_due(const config::CheckpointConfig& c, int64_t step, int64_t tokens_before, int64_t tokens) {
  if (pinned(c, tokens)) return true;
  if (c.interval_steps > 0 && step % c.interval_steps == 0) return true;
  if (c.interval_tokens > 0 && tokens_before / c.interval_tokens != tokens / c.interval_tokens) return true;
  return false;
}

void keep_checkpoints(const RunDir& run, const config::CheckpointConfig& c, const std::string& written, int64_t step,
                      int64_t tokens) {
  if (pinned(c, tokens)) {
    const std::string pin = run.pin_path(tokens);
    fs::remove(pin);
    fs::create_hard_link(written, pin);
  }
  std::vector<std::string> older_or_this;
  for (const auto& f : run.checkpoints())
    if (checkpoint_step(f) <= step) older_or_this.push_back(f);
  const int64_t keep = c.keep_last;
  for (int64_t i = 0; i + keep < static_cast<int64_t>(older_or_this.size()); ++i) fs::remove(older_or_this[size_t(i)]);
}

}  // namespace moelaw::train
