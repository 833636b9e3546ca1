#pragma once
// The Chinchilla replication's recipe (../shared/data/README.md) on its table of 245 runs read off
// Hoffmann et al.'s Figure 4: N = Model Size, D = Training FLOP / 6N, the five highest losses
// dropped. Shared by the replication test and the screened-against-exhaustive test.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "analysis/law_spec.hpp"
#include "analysis/runs_table.hpp"

namespace moelaw::testing {

inline const std::string kChinchillaTable = std::string(MOELAW_SHARED_DIR) + "/data/chinchilla/svg_extracted_data.csv";

inline std::vector<analysis::Sample> chinchilla_samples(const analysis::RunsTable& t) {
  auto n = t.numbers("Model Size"), flops = t.numbers("Training FLOP"), loss = t.numbers("loss");
  std::vector<analysis::Sample> samples;
  for (size_t i = 0; i < n.size(); ++i) {
    analysis::Sample s;
    s.x = {std::log(n[i]), std::log(flops[i] / (6 * n[i])), 0};
    s.ln_loss = std::log(loss[i]);
    samples.push_back(s);
  }
  std::sort(samples.begin(), samples.end(),
            [](const analysis::Sample& a, const analysis::Sample& b) { return a.ln_loss < b.ln_loss; });
  samples.resize(samples.size() - 5);  // the five highest losses dropped
  return samples;
}

}  // namespace moelaw::testing
