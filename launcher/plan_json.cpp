#include "launcher/plan_json.hpp"

namespace moelaw::launcher {

nlohmann::json plan_to_json(const Experiment& experiment, const Plan& plan) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& r : plan.runs) {
    nlohmann::json ramp = nlohmann::json::array();
    for (auto [from, size] : r.batch_ramp) ramp.push_back({{"from_tokens", from}, {"batch_tokens", size}});
    runs.push_back({{"name", r.name}, {"role", r.role}, {"model", r.model},
                    {"start_tokens", r.start_tokens}, {"target_tokens", r.target_tokens},
                    {"init_from", r.init_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.init_from)},
                    {"pin_tokens", r.pins}, {"lr", r.lr}, {"lr_from_law", r.lr_from_law},
                    {"seed", r.seed}, {"experts", r.experts}, {"top_k", r.top_k},
                    {"granularity", r.granularity}, {"n_act", r.n_act}, {"n_total", r.n_total},
                    {"n_act_nonembedding", r.n_act_nonembedding}, {"flops", r.flops},
                    {"batch_ramp", ramp}, {"settings", r.settings}});
  }
  return {{"experiment", experiment.name},
          {"runs", runs},
          {"tokens_with_reuse", plan.tokens_with_reuse},
          {"tokens_without_reuse", plan.tokens_without_reuse},
          {"flops_with_reuse", plan.flops_with_reuse},
          {"flops_without_reuse", plan.flops_without_reuse}};
}

}  // namespace moelaw::launcher
