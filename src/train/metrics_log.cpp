#include "train/metrics_log.hpp"

#include <cstdint>
#include <filesystem>

#include "checkpoint/checkpoint_file.hpp"

namespace moelaw::train {

using checkpoint::Array;

namespace {

template <typename T, typename Row, typename Field>
Array<T> column(const std::vector<Row>& rows, Field field) {
  Array<T> a{{static_cast<int64_t>(rows.size())}, {}};
  for (const auto& r : rows) a.data.push_back(static_cast<T>(r.*field));
  return a;
}

}  // namespace

void MetricsLog::save(const std::string& path) const {
  checkpoint::CheckpointData d;
  d.int64s["steps/step"] = column<int64_t>(steps, &StepMetrics::step);
  d.int64s["steps/tokens"] = column<int64_t>(steps, &StepMetrics::tokens);
  d.doubles["steps/loss"] = column<double>(steps, &StepMetrics::loss);
  d.doubles["steps/lr"] = column<double>(steps, &StepMetrics::lr);
  d.doubles["steps/grad_norm"] = column<double>(steps, &StepMetrics::grad_norm);
  d.doubles["steps/tokens_per_second"] = column<double>(steps, &StepMetrics::tokens_per_second);
  d.int64s["eval/step"] = column<int64_t>(evals, &EvalMetrics::step);
  d.int64s["eval/tokens"] = column<int64_t>(evals, &EvalMetrics::tokens);
  d.doubles["eval/loss"] = column<double>(evals, &EvalMetrics::loss);
  for (const auto& [name, values] : series)
    d.doubles["series/" + name] = Array<double>{{static_cast<int64_t>(values.size())}, values};
  checkpoint::write_checkpoint(path, d);
}

MetricsLog MetricsLog::load(const std::string& path) {
  MetricsLog log;
  if (!std::filesystem::exists(path)) return log;
  auto d = checkpoint::read_checkpoint(path);
  // A well-formed HDF5 file of the wrong layout (a checkpoint copied over it, an edited file)
  // is as corrupt as a truncated one: say which dataset is missing or of another length.
  auto need = [&](const auto& arrays, const char* k, size_t length) {
    auto it = arrays.find(k);
    if (it == arrays.end()) throw checkpoint::CorruptCheckpoint(path + ": not a metrics file: no dataset " + k);
    if (length != SIZE_MAX && it->second.data.size() != length)
      throw checkpoint::CorruptCheckpoint(path + ": dataset " + k + " has " + std::to_string(it->second.data.size()) +
                                          " values, " + std::to_string(length) + " expected");
    return it->second.data;
  };
  auto step = need(d.int64s, "steps/step", SIZE_MAX);
  const size_t n = step.size();
  auto tokens = need(d.int64s, "steps/tokens", n);
  auto loss = need(d.doubles, "steps/loss", n), lr = need(d.doubles, "steps/lr", n);
  auto norm = need(d.doubles, "steps/grad_norm", n), tps = need(d.doubles, "steps/tokens_per_second", n);
  for (size_t i = 0; i < n; ++i) log.steps.push_back({step[i], tokens[i], loss[i], lr[i], norm[i], tps[i]});
  auto estep = need(d.int64s, "eval/step", SIZE_MAX);
  auto etokens = need(d.int64s, "eval/tokens", estep.size());
  auto eloss = need(d.doubles, "eval/loss", estep.size());
  for (size_t i = 0; i < estep.size(); ++i) log.evals.push_back({estep[i], etokens[i], eloss[i]});
  for (const auto& [name, a] : d.doubles)
    if (name.rfind("series/", 0) == 0) log.series[name.substr(7)] = a.data;
  return log;
}

void MetricsLog::truncate_after(int64_t step) {
  size_t keep = 0;
  while (keep < steps.size() && steps[keep].step <= step) ++keep;
  steps.resize(keep);
  for (auto& [name, values] : series)
    if (values.size() > keep) values.resize(keep);
  while (!evals.empty() && evals.back().step > step) evals.pop_back();
}

}  // namespace moelaw::train
