#include "analysis/optimal_tables.hpp"

#include <cstdio>
#include <sstream>

#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

nlohmann::json optimum_json(const Optimum& o) {
  nlohmann::json j = {{"budget", o.budget}, {"experts", o.experts}, {"n_act", o.n_act},
                      {"tokens", o.tokens}, {"loss", o.loss},       {"d_model", o.d_model}};
  if (o.memory_bytes > 0) j["memory_bytes"] = o.memory_bytes, j["memory_bound"] = o.memory_bound;
  return j;
}

void table(std::ostream& s, const std::string& title, const std::vector<Optimum>& rows, bool memory) {
  const auto g = short_number;
  s << "\n## " << title << "\n\n| budget | E | N_act | D | D/N | loss | d_model |" << (memory ? " memory | bound |" : "")
    << "\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |" << (memory ? " ---: | --- |" : "") << "\n";
  for (const auto& o : rows) {
    s << "| " << g(o.budget) << " | " << g(o.experts) << " | " << g(o.n_act) << " | " << g(o.tokens) << " | "
      << g(o.tokens / o.n_act) << " | " << g(o.loss) << " | " << g(o.d_model) << " |";
    if (memory) s << " " << g(o.memory_bytes) << " | " << (o.memory_bound ? "memory" : "compute") << " |";
    s << "\n";
  }
}

nlohmann::json served_json(const InferenceOptimum& o) {
  if (!o.feasible) return {{"experts", o.experts}, {"feasible", false}};
  const ServingCost& c = o.serving;
  return {{"experts", o.experts},         {"n_act", o.n_act},       {"tokens", o.tokens},
          {"loss", o.loss},               {"feasible", true},       {"gpus", c.gpus},
          {"batch", c.batch},             {"decode_latency", c.decode_latency},
          {"prefill_latency", c.prefill_latency}, {"throughput", c.throughput}, {"cost_per_token", c.cost_per_token}};
}

nlohmann::json served_json(const std::vector<ServedOptimum>& rows, const char* target) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json per_e = nlohmann::json::array();
    for (const auto& o : r.per_experts) per_e.push_back(served_json(o));
    out.push_back({{"budget", r.budget}, {target, r.target}, {"best", served_json(r.best)}, {"per_experts", per_e}});
  }
  return out;
}

void served_table(std::ostream& s, const std::string& title, const char* target, const std::vector<ServedOptimum>& rows) {
  const auto g = short_number;
  s << "\n## " << title << "\n\n| budget | " << target << " | E | N_act | D | loss | GPUs | batch | cost/token |\n"
    << "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& r : rows) {
    const InferenceOptimum& o = r.best;
    s << "| " << g(r.budget) << " | " << g(r.target) << " | ";
    if (!o.feasible) s << "none | | | | | | |\n";
    else
      s << g(o.experts) << " | " << g(o.n_act) << " | " << g(o.tokens) << " | " << g(o.loss) << " | " << o.serving.gpus
        << " | " << g(o.serving.batch) << " | " << g(o.serving.cost_per_token) << " |\n";
  }
}

}  // namespace

std::string short_number(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", x);
  return b;
}

JointOptimalTables joint_optimal_tables(const FitReport& fit, const std::string& source,
                                        const JointOptimalRequest& request) {
  if (fit.law != "joint") throw UsageError(source + ": coefficients of law '" + fit.law + "', not joint");
  JointOptimalTables t;
  t.coefficients = fit.coefficients;
  t.request = request;
  for (double e : request.experts) t.reduced.push_back(reduce_joint(fit.coefficients, e));
  for (double c : request.budgets)
    for (const auto& r : t.reduced) {
      t.compute.push_back(compute_optimal(r, c));
      if (request.memory) t.memory.push_back(memory_constrained_optimal(r, c, *request.memory));
      if (request.inference_tokens) t.inference.push_back(inference_optimal(r, c, *request.inference_tokens));
    }
  for (double c : request.budgets) {
    for (double target : request.target_losses) {
      ServedOptimum o{c, target, {}, {}};
      o.best = least_cost_for_loss(t.reduced, c, target, request.gpu, request.serving, &o.per_experts);
      t.cost_for_loss.push_back(o);
    }
    for (double bound : request.cost_bounds) {
      ServedOptimum o{c, bound, {}, {}};
      o.best = least_loss_for_cost(t.reduced, c, bound, request.gpu, request.serving, &o.per_experts);
      t.loss_for_cost.push_back(o);
    }
  }
  return t;
}

nlohmann::json to_json(const JointOptimalTables& t) {
  nlohmann::json out = {{"law", "joint"}, {"coefficients", nlohmann::json::object()}};
  for (const auto& [n, v] : t.coefficients) out["coefficients"][n] = v;
  for (const Reduced& r : t.reduced)
    out["reduced"].push_back({{"experts", r.experts}, {"m", r.m}, {"mu", r.mu}, {"n", r.n}, {"nu", r.nu}, {"c", r.c}});
  for (const auto& o : t.compute) out["compute_optimal"].push_back(optimum_json(o));
  if (const auto& spec = t.request.memory) {
    out["memory_optimal"] = nlohmann::json::array();
    const size_t per_budget = t.reduced.size();
    for (size_t b = 0; b < t.request.budgets.size(); ++b) {
      nlohmann::json per_e = nlohmann::json::array();
      const Optimum* best = nullptr;
      for (size_t i = b * per_budget; i < (b + 1) * per_budget; ++i) {
        per_e.push_back(optimum_json(t.memory[i]));
        if (!best || t.memory[i].loss < best->loss) best = &t.memory[i];
      }
      out["memory_optimal"].push_back({{"budget", t.request.budgets[b]}, {"memory", spec->bytes},
                                       {"kv_tokens", spec->kv_tokens}, {"bytes_per_param", spec->bytes_per_param},
                                       {"best_experts", best->experts}, {"best", optimum_json(*best)},
                                       {"per_experts", per_e}});
    }
  }
  if (t.request.inference_tokens) {
    for (const auto& o : t.inference) out["inference_optimal"].push_back(optimum_json(o));
    out["inference_tokens"] = *t.request.inference_tokens;
  }
  if (!t.cost_for_loss.empty()) out["inference_cost_for_loss"] = served_json(t.cost_for_loss, "target_loss");
  if (!t.loss_for_cost.empty()) out["loss_for_inference_cost"] = served_json(t.loss_for_cost, "cost_bound");
  if (!t.cost_for_loss.empty() || !t.loss_for_cost.empty()) {
    const GpuSpec& g = t.request.gpu;
    const ServingSpec& v = t.request.serving;
    out["serving"] = {{"gpu_memory", g.memory_bytes}, {"gpu_bandwidth", g.bandwidth}, {"gpu_flops", g.peak_flops},
                      {"gpu_cost_per_second", g.cost_per_second}, {"max_gpus", g.max_gpus},
                      {"prompt_tokens", v.prompt}, {"output_tokens", v.output}, {"bytes_per_value", v.bytes_per_value}};
  }
  return out;
}

std::string to_markdown(const JointOptimalTables& t) {
  const auto g = short_number;
  std::ostringstream s;
  s << "## Joint law reduced to L = m·N^mu + n·D^nu + c per E\n\n| E | m | mu | n | nu | c |\n"
       "| ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& r : t.reduced)
    s << "| " << g(r.experts) << " | " << g(r.m) << " | " << g(r.mu) << " | " << g(r.n) << " | " << g(r.nu) << " | "
      << g(r.c) << " |\n";
  table(s, "Compute-optimal (C = 6·N_act·D)", t.compute, false);
  if (!t.memory.empty()) table(s, "Memory-constrained optimum", t.memory, true);
  if (!t.inference.empty()) table(s, "Training + inference optimum (C = 6·N·D + 2·N·D_inf)", t.inference, false);
  if (!t.cost_for_loss.empty())
    served_table(s, "Least inference cost reaching a target loss (over-trained at the budget)", "target loss", t.cost_for_loss);
  if (!t.loss_for_cost.empty())
    served_table(s, "Least loss under an inference cost per token", "cost bound", t.loss_for_cost);
  return s.str();
}

}  // namespace moelaw::analysis
