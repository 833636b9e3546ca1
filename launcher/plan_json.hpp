#pragma once
// The plan as data: what `moelaw plan --json` prints and what `moelaw submit` keeps in
// EXP_DIR/plan.json for `moelaw status`.
#include <nlohmann/json.hpp>

#include "launcher/plan.hpp"

namespace moelaw::launcher {

nlohmann::json plan_to_json(const Experiment& experiment, const Plan& plan);

}  // namespace moelaw::launcher
