#pragma once
// What `moelaw fit --law isoflop` prints: per budget the quadratic's coefficients, its RMSE and
// the optimum it implies, as JSON (a single budget's coefficients also at the top, so that
// read_coefficients takes the output) and as a Markdown table.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/isoflop.hpp"

namespace moelaw::analysis {

nlohmann::json isoflop_json(const std::vector<IsoflopFit>& fits);
std::string isoflop_markdown(const std::vector<IsoflopFit>& fits);

}  // namespace moelaw::analysis
