#include "analysis/loss_curve.hpp"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "checkpoint/checkpoint_file.hpp"
#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "config/loader.hpp"
#include "config/run_config.hpp"
#include "model/param_count.hpp"
#include "train/checkpoint_state.hpp"
#include "train/metrics_log.hpp"
#include "train/run_dir.hpp"
#include "train/schedule.hpp"

namespace moelaw::analysis {

namespace fs = std::filesystem;

namespace {

constexpr long kMaxSteps = 100'000'000;  // a schedule longer than this is a typo, not a run

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return *end == '\0' && std::isfinite(out);
}

struct Row {
  long step;
  double lr;
  bool has_loss;
  double loss;
};

std::vector<Row> csv_rows(const std::string& path) {
  std::istringstream in(read_file(path, "cannot open the loss curve"));
  std::string line;
  long number = 1;
  if (!std::getline(in, line)) throw UsageError(located(path, 1, "empty file (expected the header step,lr,loss)"));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != "step,lr,loss")
    throw UsageError(located(path, 1, "header is '" + line + "', expected 'step,lr,loss'"));
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (line.back() == ',') f.push_back("");
    auto fail = [&](const std::string& m) { throw UsageError(located(path, number, "row " + std::to_string(number) + ": " + m)); };
    if (f.size() != 3) fail("expected 3 fields step,lr,loss, found " + std::to_string(f.size()));
    Row r{};
    double step = 0;
    if (!parse_number(f[0], step) || step != std::floor(step) || step < 0 || step > kMaxSteps)
      fail("step '" + f[0] + "' is not a whole number in [0, " + std::to_string(kMaxSteps) + "]");
    r.step = static_cast<long>(step);
    if (!parse_number(f[1], r.lr)) fail("lr '" + f[1] + "' is not a number");
    if (r.lr < 0) fail("negative learning rate " + f[1]);
    r.has_loss = !f[2].empty();
    if (r.has_loss && (!parse_number(f[2], r.loss) || r.loss <= 0)) fail("loss '" + f[2] + "' is not a positive number");
    if (!rows.empty() && r.step <= rows.back().step)
      fail("step " + f[0] + " is not after the previous row's step " + std::to_string(rows.back().step) +
           " (rows must be sorted by step)");
    rows.push_back(r);
  }
  if (rows.empty()) throw UsageError(path + ": no rows after the header");
  return rows;
}

// The checkpoint a branched run started from, or "" when nothing on disk names one.
std::string branch_source(const train::RunDir& run) {
  if (auto summary = run.summary(); summary && !summary->init_from.empty()) return summary->init_from;
  auto files = run.checkpoints();
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    try {
      const std::string from = train::branched_from(checkpoint::CheckpointReader(*it).attributes());
      if (!from.empty()) return from;
    } catch (const std::exception&) {
      // An unreadable checkpoint: try the older ones.
    }
  }
  return "";
}

struct Series {
  std::vector<long> steps, held_steps;
  std::vector<double> train, held;
};

// The run's own metrics, preceded by its trunk's up to the branch point (recursively).
void collect_metrics(const std::string& dir, Series& out, int depth) {
  train::RunDir run(dir);
  if (!fs::exists(run.metrics_path())) throw UsageError(dir + ": not a run directory (no metrics.h5)");
  auto log = train::MetricsLog::load(run.metrics_path());
  if (log.steps.empty()) throw UsageError(dir + ": no losses yet (metrics.h5 has no steps)");
  const long first = log.steps.front().step;
  if (first > 1) {
    const std::string from = branch_source(run);
    if (from.empty())
      throw UsageError(dir + ": its metrics start at step " + std::to_string(first) +
                       " (a branch), but neither summary.json nor a checkpoint names the trunk it branched from");
    const std::string trunk = fs::path(from).parent_path().parent_path().string();
    if (depth > 16) throw UsageError(dir + ": trunks branch from trunks more than 16 deep");
    if (!fs::exists(train::RunDir(trunk).metrics_path()))
      throw UsageError(dir + ": its trunk " + trunk + " (init_from " + from + ") is missing");
    collect_metrics(trunk, out, depth + 1);
    while (!out.steps.empty() && out.steps.back() >= first) out.steps.pop_back(), out.train.pop_back();
    while (!out.held_steps.empty() && out.held_steps.back() >= first)
      out.held_steps.pop_back(), out.held.pop_back();
    if (out.steps.empty() || out.steps.back() != first - 1)
      throw UsageError(dir + ": its trunk " + trunk + "'s metrics end at step " +
                       std::to_string(out.steps.empty() ? 0 : out.steps.back()) + ", not at the branch point " +
                       std::to_string(first - 1));
  }
  for (const auto& s : log.steps) out.steps.push_back(s.step), out.train.push_back(s.loss);
  for (const auto& e : log.evals) out.held_steps.push_back(e.step), out.held.push_back(e.loss);
}


// Step s (1-based) trains on the tokens after those of steps 1..s−1, at the schedule's LR there.
std::vector<double> schedule_of(const config::RunConfig& cfg, CurveModel* model) {
  const auto& t = cfg.train;
  train::Schedule schedule{t.lr, t.tokens, t.warmup_tokens, t.decay_fraction, t.batch_ramp_tokens,
                           t.batch_ramp_sizes, cfg.model.seq_len};
  const auto counts = model::count_parameters({cfg.model.d_model, cfg.model.n_blocks, cfg.model.vocab_size,
                                               cfg.model.experts, cfg.model.top_k, cfg.model.granularity});
  if (t.lr_auto) schedule.peak_lr = counts.lr;
  if (model)
    *model = {true, counts.n_act, counts.n_total, counts.n_act_nonembedding, cfg.model.experts, cfg.model.top_k,
              cfg.model.granularity};
  std::vector<double> lr{0.0};
  for (int64_t seen = 0; seen < t.tokens;) {
    int64_t n = schedule.step_tokens(seen);
    if (n <= 0 || static_cast<long>(lr.size()) > kMaxSteps) break;
    lr.push_back(schedule.lr(seen));
    seen += n;
  }
  return lr;
}

}  // namespace

std::vector<double> schedule_from_config(const std::string& config_path, CurveModel* model) {
  return schedule_of(config::load_run_config(config_path, {}), model);
}

std::vector<double> schedule_from_config_text(const std::string& toml, const std::string& name, CurveModel* model) {
  return schedule_of(config::to_run_config(config::load(config::run_schema(), toml, name, {})), model);
}

LossCurve read_curve_csv(const std::string& path) {
  const auto rows = csv_rows(path);
  LossCurve c;
  c.source = path;
  c.series = "csv";
  c.lr.assign(rows.back().step + 1, 0.0);
  for (size_t i = 0; i < rows.size(); ++i) {
    c.lr[rows[i].step] = rows[i].lr;
    if (i + 1 < rows.size()) {
      const double span = static_cast<double>(rows[i + 1].step - rows[i].step);
      for (long s = rows[i].step + 1; s < rows[i + 1].step; ++s)
        c.lr[s] = rows[i].lr + (rows[i + 1].lr - rows[i].lr) * ((s - rows[i].step) / span);
    }
    if (rows[i].has_loss) c.steps.push_back(rows[i].step), c.losses.push_back(rows[i].loss);
  }
  if (c.steps.empty()) throw UsageError(path + ": no losses (every row's loss is empty)");
  return c;
}

LossCurve read_curve_run(const std::string& dir, CurveLosses losses) {
  train::RunDir run(dir);
  if (!fs::exists(run.config_path())) throw UsageError(dir + ": not a run directory (no config.toml)");
  Series s;
  collect_metrics(dir, s, 0);
  LossCurve c;
  c.source = dir;
  c.lr = schedule_from_config(run.config_path(), &c.model);
  if (losses == CurveLosses::held_out && s.held_steps.size() >= 3) {
    c.series = "held-out", c.steps = s.held_steps, c.losses = s.held;
  } else {
    c.series = "training", c.steps = s.steps, c.losses = s.train;
  }
  if (c.steps.back() > c.last_step())
    throw UsageError(dir + ": metrics go to step " + std::to_string(c.steps.back()) + ", past the " +
                     std::to_string(c.last_step()) + " steps its config.toml plans");
  for (size_t i = 0; i < c.losses.size(); ++i)
    if (!(c.losses[i] > 0) || !std::isfinite(c.losses[i]))
      throw UsageError(dir + ": the " + c.series + " loss at step " + std::to_string(c.steps[i]) + " is not a positive number");
  return c;
}

LossCurve load_curve(const std::string& path, CurveLosses losses) {
  if (fs::is_directory(path)) return read_curve_run(path, losses);
  return read_curve_csv(path);
}

}  // namespace moelaw::analysis
