#include "train/metrics_log.hpp"

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
  auto missing = [&](const char* k) { return checkpoint::CorruptCheckpoint(path + ": not a metrics file: no " + k); };
  auto i64 = [&](const char* k) {
    auto it = d.int64s.find(k);
    if (it == d.int64s.end()) throw missing(k);
    return it->second.data;
  };
  auto f64 = [&](const char* k) {
    auto it = d.doubles.find(k);
    if (it == d.doubles.end()) throw missing(k);
    return it->second.data;
  };
  auto step = i64("steps/step"), tokens = i64("steps/tokens");
  auto loss = f64("steps/loss"), lr = f64("steps/lr"), norm = f64("steps/grad_norm");
  auto tps = f64("steps/tokens_per_second");
  for (size_t n : {tokens.size(), loss.size(), lr.size(), norm.size(), tps.size()})
    if (n != step.size()) throw checkpoint::CorruptCheckpoint(path + ": the steps/ columns differ in length");
  for (size_t i = 0; i < step.size(); ++i) log.steps.push_back({step[i], tokens[i], loss[i], lr[i], norm[i], tps[i]});
  auto estep = i64("eval/step"), etokens = i64("eval/tokens");
  auto eloss = f64("eval/loss");
  if (etokens.size() != estep.size() || eloss.size() != estep.size())
    throw checkpoint::CorruptCheckpoint(path + ": the eval/ columns differ in length");
  for (size_t i = 0; i < estep.size(); ++i) log.evals.push_back({estep[i], etokens[i], eloss[i]});
  for (const auto& [name, a] : d.doubles)
    if (name.rfind("series/", 0) == 0) log.series[name.substr(7)] = a.data;
  return log;
}

MetricsLog MetricsLog::load_for_resume(const std::string& path, int64_t step, std::string* note) {
  try {
    MetricsLog log = load(path);
    log.truncate_after(step);
    return log;
  } catch (const std::exception& e) {
    std::string aside;
    for (int n = 1; aside.empty() || std::filesystem::exists(aside); ++n) aside = path + ".unreadable-" + std::to_string(n);
    std::error_code ec;
    std::filesystem::rename(path, aside, ec);
    *note = "warning: unreadable metrics (" + std::string(e.what()) + "): " +
            (ec ? "could not set it aside (" + ec.message() + ")" : "set aside as " + aside) +
            "; the metrics of the steps before " + std::to_string(step) + " are not in the new " + path;
    return MetricsLog{};
  }
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
