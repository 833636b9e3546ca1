#include "launcher/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "config/run_config.hpp"
#include "model/param_count.hpp"
#include "model/step_law.hpp"
#include "train/schedule.hpp"

namespace moelaw::launcher {

namespace {

std::string lr_label(const ModelSpec&, double lr, bool from_law) {
  if (from_law) return "lr-auto";
  char buf[64];
  std::snprintf(buf, sizeof buf, "lr-%g", lr);
  return buf;
}

std::string setting(const std::string& key, int64_t v) { return key + "=" + std::to_string(v); }

// Under an lr-bs law the LR depends on the length, so lengths cannot share a constant-LR trunk:
// a model with lr = "auto" becomes one model per length (NAME_DTOKENS), each with its own trunk.
std::vector<ModelSpec> models_to_plan(const Experiment& exp) {
  if (!exp.step_law) return exp.models;
  std::vector<ModelSpec> out;
  for (const ModelSpec& m : exp.models) {
    if (!m.lrs.empty()) {
      out.push_back(m);
      continue;
    }
    for (int64_t d : m.tokens) {
      ModelSpec one = m;
      one.name = m.name + "_D" + std::to_string(d);
      one.tokens = {d};
      out.push_back(one);
    }
  }
  return out;
}

}  // namespace

std::string format_tokens(double t) {
  char buf[64];
  const char* unit = "";
  double v = t;
  if (t >= 1e12) { v = t / 1e12; unit = "T"; }
  else if (t >= 1e9) { v = t / 1e9; unit = "B"; }
  else if (t >= 1e6) { v = t / 1e6; unit = "M"; }
  else if (t >= 1e3) { v = t / 1e3; unit = "K"; }
  std::snprintf(buf, sizeof buf, "%.3g%s", v, unit);
  return buf;
}

Plan make_plan(const Experiment& exp) {
  Plan plan;
  for (const auto& m : models_to_plan(exp)) {
    std::vector<std::string> model_settings = exp.run_settings;
    model_settings.push_back(setting("model.d_model", m.d_model));
    model_settings.push_back(setting("model.n_blocks", m.n_blocks));
    model_settings.push_back(setting("model.experts", m.experts));
    model_settings.push_back(setting("model.top_k", m.top_k));
    model_settings.push_back(setting("model.granularity", m.granularity));
    // Expert parallelism as requested where the experts split that way, else the largest size
    // that divides both (dense models: 1).
    model_settings.push_back(setting("parallel.expert", std::gcd(exp.resources.expert_parallel, m.experts * m.granularity)));
    std::vector<std::string> origins(exp.run_settings.size(), exp.path + " [run]");
    origins.resize(model_settings.size(), exp.path + ":" + std::to_string(m.line) + " [[models]] " + m.name);

    // Resolve one configuration per model: it checks the run settings against the schema and
    // gives the batch ramp and sequence length that place the step grid.
    auto resolve = [&](const std::vector<std::string>& settings) {
      origins.resize(settings.size(), exp.path + ":" + std::to_string(m.line) + " [[models]] " + m.name);
      return config::to_run_config(config::load(config::run_schema(), "", exp.path, settings, origins));
    };
    auto check = [&](std::vector<std::string> settings, int64_t tokens) {
      settings.push_back(setting("train.tokens", tokens));
      return resolve(settings);
    };
    const int64_t d_max = m.tokens.back();
    auto base = check(model_settings, d_max);
    auto c = model::count_parameters({base.model.d_model, base.model.n_blocks, base.model.vocab_size,
                                      base.model.experts, base.model.top_k, base.model.granularity});
    const bool step_law = exp.step_law && m.lrs.empty();
    if (step_law) {  // the law's batch size for this length, in whole sequences, constant over the run
      const int64_t seq = base.model.seq_len;
      const int64_t b = std::max<int64_t>(1, std::llround(exp.step_law->batch_tokens(double(d_max)) / double(seq))) * seq;
      model_settings.push_back("train.batch_ramp_tokens=[0]");
      model_settings.push_back("train.batch_ramp_sizes=[" + std::to_string(b) + "]");
      base = check(model_settings, d_max);
    }
    auto schedule_for = [&](int64_t total, double decay) {
      return train::Schedule{0, total, base.train.warmup_tokens, decay, base.train.batch_ramp_tokens,
                             base.train.batch_ramp_sizes, base.model.seq_len};
    };
    std::vector<int64_t> branch_points;
    for (int64_t d : m.tokens) branch_points.push_back(schedule_for(d, base.train.decay_fraction).decay_start());
    const int64_t trunk_end = branch_points.back();

    std::vector<double> lrs = m.lrs;
    bool from_law = lrs.empty();
    if (from_law)
      lrs = {step_law ? exp.step_law->lr(static_cast<double>(c.n_act_nonembedding), static_cast<double>(d_max))
                      : model::lr_law(static_cast<double>(c.n_act_nonembedding), static_cast<double>(m.experts))};

    for (double lr : lrs) {
      for (int64_t seed : m.seeds) {
        std::string stem = m.name + "_" + lr_label(m, lr, from_law) + "_s" + std::to_string(seed);
        auto make = [&](const std::string& role, int64_t start, int64_t target) {
          PlannedRun r;
          r.name = stem + "_" + role;
          r.role = role == "trunk" ? "trunk" : "cooldown";
          r.model = m.name;
          r.start_tokens = start;
          r.target_tokens = target;
          r.lr = lr;
          r.lr_from_law = from_law;
          r.seed = seed;
          r.experts = m.experts;
          r.top_k = m.top_k;
          r.granularity = m.granularity;
          r.n_act = static_cast<double>(c.n_act);
          r.n_total = static_cast<double>(c.n_total);
          r.n_act_nonembedding = static_cast<double>(c.n_act_nonembedding);
          r.flops = 6.0 * r.n_act * static_cast<double>(target - start);
          r.settings = model_settings;
          r.settings.push_back(setting("train.tokens", target));
          r.settings.push_back(setting("train.seed", seed));
          char lr_text[64];
          std::snprintf(lr_text, sizeof lr_text, "train.lr=%.17g", lr);
          r.settings.push_back(lr_text);
          auto& ramp_tokens = base.train.batch_ramp_tokens;
          for (size_t i = 0; i < ramp_tokens.size(); ++i)
            if (ramp_tokens[i] < target && (i + 1 == ramp_tokens.size() || ramp_tokens[i + 1] > start))
              r.batch_ramp.emplace_back(std::max(ramp_tokens[i], start), base.train.batch_ramp_sizes[i]);
          return r;
        };
        PlannedRun trunk = make("trunk", 0, trunk_end);
        trunk.settings.push_back("train.decay_fraction=0");
        trunk.pins = branch_points;
        std::string pins = "checkpoint.pin_tokens=[";
        for (size_t i = 0; i < branch_points.size(); ++i) pins += (i ? ", " : "") + std::to_string(branch_points[i]);
        trunk.settings.push_back(pins + "]");
        trunk.config_toml = resolve(trunk.settings).resolved_toml;  // checks the trunk's own settings
        plan.runs.push_back(trunk);
        plan.tokens_with_reuse += trunk_end;
        plan.flops_with_reuse += trunk.flops;
        for (size_t i = 0; i < m.tokens.size(); ++i) {
          PlannedRun r = make("D" + std::to_string(m.tokens[i]), branch_points[i], m.tokens[i]);
          r.init_from = trunk.name;
          r.config_toml = resolve(r.settings).resolved_toml;
          plan.runs.push_back(r);
          plan.tokens_with_reuse += m.tokens[i] - branch_points[i];
          plan.flops_with_reuse += r.flops;
          plan.tokens_without_reuse += m.tokens[i];
          plan.flops_without_reuse += 6.0 * static_cast<double>(c.n_act) * static_cast<double>(m.tokens[i]);
        }
      }
    }
  }
  return plan;
}

}  // namespace moelaw::launcher
