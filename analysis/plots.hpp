#pragma once
// Plots through gnuplot: each plot is a data file and a script in the output directory (so it can
// be restyled and rerun by hand), rendered to PNG when gnuplot is on PATH.
#include <string>
#include <vector>

#include "analysis/law_spec.hpp"
#include "analysis/lr_law.hpp"

namespace moelaw::analysis {

// predicted_vs_observed (coloured by E) and loss_vs_tokens (per model, fitted curves).
// `held` marks held-out samples. Returns notes for the user (e.g. that gnuplot is missing).
std::vector<std::string> plot_fit(const std::string& dir, const LawSpec& law, const std::vector<double>& params,
                                  const std::vector<Sample>& samples, const std::vector<bool>& held);
// lr_sweeps: loss against LR per sweep with the fitted parabola and its optimum.
std::vector<std::string> plot_lr(const std::string& dir, const LrFit& fit);
// NAME.png: one loss curve's observed points and a law's prediction against the step.
std::vector<std::string> plot_forecast(const std::string& dir, const std::string& name, const std::string& title,
                                       const std::vector<long>& observed_steps, const std::vector<double>& observed,
                                       const std::vector<long>& steps, const std::vector<double>& predicted);

}  // namespace moelaw::analysis
