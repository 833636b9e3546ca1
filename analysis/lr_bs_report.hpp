#pragma once
// What `moelaw fit --law lr-bs` prints and writes: the coefficients of the chosen recipe with their
// bootstrap intervals, both recipes' coefficients and their spread, and each group's optimum.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/lr_bs_law.hpp"

namespace moelaw::analysis {

// {law: "lr-bs", coefficients, recipe, band, by_recipe, spread, intervals, rmse_lr, rmse_batch, groups}.
nlohmann::json lr_bs_json(const LrBsFit& fit);
std::string lr_bs_markdown(const LrBsFit& fit);
// coefficients.{json,toml} (readable by read_coefficients) and table.md.
void write_lr_bs_files(const std::string& dir, const LrBsFit& fit);
// The coefficients back from such a file (or `fit --json` output); a UsageError naming it otherwise.
LrBsCoefficients read_lr_bs_coefficients(const std::string& path);

}  // namespace moelaw::analysis
