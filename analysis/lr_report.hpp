#pragma once
// What `moelaw fit --law lr` writes and prints from an LR-law fit: JSON with each sweep's optimum,
// the coefficient table (as a FitReport), and the per-sweep Markdown table.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/lr_law.hpp"
#include "analysis/report.hpp"

namespace moelaw::analysis {

nlohmann::json lr_json(const LrFit& fit);
FitReport lr_report(const LrFit& fit);
// coefficients.{json,toml}, table.{md,tex} and the sweep plot; returns notes for the user.
std::vector<std::string> write_lr_files(const std::string& dir, const LrFit& fit);
std::string lr_text(const LrFit& fit);

}  // namespace moelaw::analysis
