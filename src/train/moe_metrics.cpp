#include "train/moe_metrics.hpp"

#include <string>
#include <vector>

namespace moelaw::train {

namespace {

// The counters of `s` in one buffer (one all-reduce), and back.
std::vector<double> flatten(const model::MoeStats& s) {
  std::vector<double> v{static_cast<double>(s.tokens)};
  for (size_t l = 0; l < s.choices.size(); ++l) {
    v.insert(v.end(), {static_cast<double>(s.choices[l]), static_cast<double>(s.dropped[l]), s.aux_loss[l], s.z_loss[l]});
    for (int64_t load : s.load[l]) v.push_back(static_cast<double>(load));
  }
  return v;
}

}  // namespace

double record_moe_step(const model::MoeStats& mine, parallel::Communicator& world, MetricsLog& metrics) {
  std::vector<double> v = flatten(mine);
  world.allreduce_sum(v.data(), v.size());
  const double tokens = v[0];
  size_t at = 1;
  double dropped_total = 0, choices_total = 0;
  for (size_t l = 0; l < mine.choices.size(); ++l) {
    const std::string p = "moe/layer" + std::to_string(l) + "/";
    const double choices = v[at], dropped = v[at + 1], aux = v[at + 2], z = v[at + 3];
    at += 4;
    metrics.series[p + "dropped_fraction"].push_back(dropped / choices);
    metrics.series[p + "aux_loss"].push_back(aux / tokens);
    metrics.series[p + "z_loss"].push_back(z / tokens);
    for (size_t e = 0; e < mine.load[l].size(); ++e)
      metrics.series[p + "load/expert" + std::to_string(e)].push_back(v[at++] / choices);
    dropped_total += dropped;
    choices_total += choices;
  }
  return dropped_total / choices_total;
}

}  // namespace moelaw::train
