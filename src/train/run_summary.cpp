#include "train/run_summary.hpp"

#include <cmath>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/file_io.hpp"

namespace moelaw::train {

namespace {

// Every field with its key, once, for both directions.
template <typename Summary, typename Visit>
void each_field(Summary& s, Visit&& visit) {
  visit("run_id", s.run_id);
  visit("complete", s.complete);
  visit("n_act", s.n_act);
  visit("n_total", s.n_total);
  visit("n_act_nonembedding", s.n_act_nonembedding);
  visit("tokens", s.tokens);
  visit("steps", s.steps);
  visit("experts", s.experts);
  visit("top_k", s.top_k);
  visit("granularity", s.granularity);
  visit("d_model", s.d_model);
  visit("n_blocks", s.n_blocks);
  visit("lr", s.lr);
  visit("seed", s.seed);
  visit("decay_fraction", s.decay_fraction);
  visit("final_loss", s.final_loss);
  visit("final_train_loss", s.final_train_loss);
  visit("init_from", s.init_from);
  visit("world_size", s.world_size);
  visit("backend", s.backend);
  visit("transport", s.transport);
}

}  // namespace

nlohmann::json RunSummary::to_json() const {
  if (!source.is_null()) return source;
  nlohmann::json j = nlohmann::json::object();
  each_field(*this, [&](const char* key, const auto& value) {
    using V = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<V, double>) j[key] = std::isfinite(value) ? nlohmann::json(value) : nullptr;
    else if constexpr (std::is_same_v<V, std::string>)  // init_from: null when not a branch
      j[key] = value.empty() && std::string(key) == "init_from" ? nlohmann::json(nullptr) : nlohmann::json(value);
    else j[key] = value;
  });
  return j;
}

nlohmann::json RunSummary::to_row() const {
  nlohmann::json j = to_json();
  j.erase("complete");
  return j;
}

RunSummary RunSummary::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw std::runtime_error(where + ": not a JSON object");
  RunSummary s;
  s.final_loss = s.final_train_loss = s.decay_fraction = NAN;  // absent: unknown, not 0
  each_field(s, [&](const char* key, auto& value) {
    using V = std::decay_t<decltype(value)>;
    if (!j.contains(key) || j[key].is_null()) return;
    const auto& v = j[key];
    const bool ok = std::is_same_v<V, bool> ? v.is_boolean()
                    : std::is_same_v<V, std::string> ? v.is_string() : v.is_number();
    if (!ok) throw std::runtime_error(where + ": key \"" + key + "\" has the wrong type (" + v.type_name() + ")");
    value = v.get<V>();
  });
  s.source = j;
  return s;
}

const std::vector<std::string>& RunSummary::leading_columns() {
  static const std::vector<std::string> columns = {"run_id", "n_act", "n_total", "n_act_nonembedding",
                                                   "tokens", "experts", "top_k", "granularity",
                                                   "lr", "seed", "final_loss", "init_from"};
  return columns;
}

std::optional<RunSummary> RunSummary::read(const std::string& path) {
  const auto text = read_file_if_exists(path);
  if (!text) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": unreadable summary (not JSON: " + std::string(e.what()) + ")");
  }
  return from_json(j, path);
}

void RunSummary::write(const std::string& path) const {
  const std::string text = to_json().dump(2) + "\n";
  write_file_atomically(path, {text});
}

}  // namespace moelaw::train
