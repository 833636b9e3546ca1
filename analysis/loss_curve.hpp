#pragma once
// Loss curves with their whole LR schedule, from two sources:
// - a CSV in the interchange format of ../shared/data/loss-curves/README.md: header step,lr,loss;
//   rows sorted by step; the LR is linear between listed steps; loss empty on schedule-only rows;
// - a moelaw run directory: the schedule from its config.toml (train/schedule.hpp, to the run's
//   planned end, so a running job's schedule is known beyond its last step), the losses from
//   metrics.h5; a cooldown branched with --init-from continues its trunk's curve (found through
//   summary.json's init_from or its checkpoints' branched_from), as far back as the trunk goes.
// Bad input is a UsageError naming the file and row (CSV) or the run directory and what is wrong.
#include <cstdint>
#include <string>
#include <vector>

namespace moelaw::analysis {

enum class CurveLosses { held_out, training };

// Which model a run directory's curve is of (a law is fitted per model); unknown for a CSV.
struct CurveModel {
  bool known = false;
  int64_t n_act = 0, n_total = 0, n_act_nonembedding = 0, experts = 1, top_k = 1, granularity = 1;
  bool operator==(const CurveModel&) const = default;
};

struct LossCurve {
  std::string source;        // the path given
  std::string series;        // "csv", "held-out" or "training"
  std::vector<double> lr;    // LR of step s = 0..last (0 before the first step that trains)
  std::vector<long> steps;   // steps with an observed loss, increasing
  std::vector<double> losses;
  CurveModel model;
  long last_step() const { return static_cast<long>(lr.size()) - 1; }
};

LossCurve read_curve_csv(const std::string& path);
// `losses`: held_out uses the run's evaluations when it (with its trunk) has at least three,
// training losses otherwise.
LossCurve read_curve_run(const std::string& dir, CurveLosses losses = CurveLosses::held_out);
// The LR of every step of a run configured by `config_path` (step 0: none, LR 0), and its model.
std::vector<double> schedule_from_config(const std::string& config_path, CurveModel* model = nullptr);
// The same from a resolved configuration's text (`name` in messages).
std::vector<double> schedule_from_config_text(const std::string& toml, const std::string& name, CurveModel* model = nullptr);
// A directory is a run directory, anything else a CSV.
LossCurve load_curve(const std::string& path, CurveLosses losses = CurveLosses::held_out);

}  // namespace moelaw::analysis
