#pragma once
// RUN_DIR/summary.json: what a finished run reports, written once by `train` when the run
// completes and read by `collect` (a row of the runs table), `status` and the run state. Its keys
// are named here only; readers use the fields.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moelaw::train {

struct RunSummary {
  std::string run_id;
  bool complete = false;
  int64_t n_act = 0, n_total = 0, n_act_nonembedding = 0;
  int64_t tokens = 0, steps = 0;
  int64_t experts = 0, top_k = 0, granularity = 0, d_model = 0, n_blocks = 0;
  double lr = 0, decay_fraction = 0;
  int64_t seed = 0;
  double final_loss = 0;        // held-out loss at the end (NaN, written null, if unknown)
  double final_train_loss = 0;  // the last step's training loss (NaN when no step ran)
  std::string init_from;        // the checkpoint a branch started from; "" for none (null)
  int64_t world_size = 0;
  std::string backend, transport;
  // A summary read from a file: that file's object, as it was (keys this version does not know,
  // numbers as written); null for one made here. to_json() gives it back unchanged.
  nlohmann::json source;

  // A constant-LR trunk of a grid: its loss is that of a run whose LR never decayed.
  bool constant_lr_trunk() const { return decay_fraction == 0; }

  nlohmann::json to_json() const;
  nlohmann::json to_row() const;  // a row of the runs table: to_json() without "complete"
  // Throws std::runtime_error naming `where` and the key for a value of the wrong type.
  static RunSummary from_json(const nlohmann::json& j, const std::string& where);
  // The columns every fit may read, in this order (collect writes the other keys after them).
  static const std::vector<std::string>& leading_columns();
  // nullopt when the file does not exist; unreadable JSON throws std::runtime_error naming it.
  static std::optional<RunSummary> read(const std::string& path);
  void write(const std::string& path) const;  // atomically
};

}  // namespace moelaw::train
