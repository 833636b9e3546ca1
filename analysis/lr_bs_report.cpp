#include "analysis/lr_bs_report.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "analysis/report.hpp"
#include "common/atomic_file.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

const char* recipe_name(OptimumRecipe r) { return r == OptimumRecipe::surface ? "surface" : "band"; }

nlohmann::json object(const LrBsCoefficients& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [n, v] : named(c)) j[n] = v;
  return j;
}

std::string g(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", x);
  return b;
}

}  // namespace

nlohmann::json lr_bs_json(const LrBsFit& f) {
  nlohmann::json spread = nlohmann::json::object(), intervals = nlohmann::json::object(),
                 groups = nlohmann::json::array();
  auto s = named(f.by_surface), b = named(f.by_band);
  for (size_t k = 0; k < s.size(); ++k) spread[s[k].first] = std::abs(s[k].second - b[k].second);
  for (const auto& i : f.intervals) intervals[i.name] = {{"p2.5", i.lo}, {"p97.5", i.hi}};
  for (const auto& x : f.groups)
    groups.push_back({{"n_act_nonembedding", x.n}, {"tokens", x.tokens}, {"runs", x.lr.size()},
                      {"best_lr", x.best_lr}, {"best_batch_tokens", x.best_batch}, {"surface_lr", x.surface_lr},
                      {"surface_batch_tokens", x.surface_batch}, {"surface_interior", x.surface_ok},
                      {"band_lr", x.band_lr}, {"band_batch_tokens", x.band_batch}, {"band_runs", x.band_runs}});
  nlohmann::json j = {{"law", "lr-bs"},
                      {"coefficients", object(f.coefficients)},
                      {"recipe", recipe_name(f.recipe)},
                      {"band", f.band},
                      {"by_recipe", {{"surface", object(f.by_surface)}, {"band", object(f.by_band)}}},
                      {"spread", spread},
                      {"rmse_lr", f.rmse_lr},
                      {"rmse_batch", f.rmse_batch},
                      {"bootstrap", f.bootstrap},
                      {"groups", groups}};
  if (!f.intervals.empty()) j["intervals"] = intervals;
  return j;
}

std::string lr_bs_markdown(const LrBsFit& f) {
  std::ostringstream o;
  o << "LR* = eta0·N^eta_n·D^eta_d, BS* = b0·D^b_d over " << f.groups.size() << " (N, D) groups; optimum of each by "
    << recipe_name(f.recipe) << " (RMSE of ln LR* " << g(f.rmse_lr) << ", of ln BS* " << g(f.rmse_batch) << ")\n\n"
    << "| recipe | eta0 | eta_n | eta_d | b0 | b_d |\n| --- | ---: | ---: | ---: | ---: | ---: |\n";
  auto row = [&](const std::string& name, const LrBsCoefficients& c) {
    o << "| " << name << " |";
    for (const auto& [n, v] : named(c)) o << " " << g(v) << " |";
    o << "\n";
  };
  row("surface", f.by_surface);
  row("band " + g(f.band), f.by_band);
  if (!f.intervals.empty()) {
    o << "| bootstrap " << f.bootstrap << " (2.5th–97.5th) |";
    for (const auto& i : f.intervals) o << " [" << g(i.lo) << ", " << g(i.hi) << "] |";
    o << "\n";
  }
  o << "\n| N | D | runs | LR* | BS* | surface LR*, BS* | band LR*, BS* (runs) |\n"
       "| ---: | ---: | ---: | ---: | ---: | --- | --- |\n";
  for (const auto& x : f.groups)
    o << "| " << g(x.n) << " | " << g(x.tokens) << " | " << x.lr.size() << " | " << g(x.best_lr) << " | "
      << g(x.best_batch) << " | " << (x.surface_ok ? g(x.surface_lr) + ", " + g(x.surface_batch) : "no interior vertex")
      << " | " << g(x.band_lr) << ", " << g(x.band_batch) << " (" << x.band_runs << ") |\n";
  return o.str();
}

void write_lr_bs_files(const std::string& dir, const LrBsFit& f) {
  std::filesystem::create_directories(dir);
  write_file_atomically(dir + "/coefficients.json", {lr_bs_json(f).dump(1) + "\n"});
  std::ostringstream toml;
  toml.precision(17);
  toml << "law = \"lr-bs\"\n\n[coefficients]\n";
  for (const auto& [n, v] : named(f.coefficients)) toml << n << " = " << v << "\n";
  write_file_atomically(dir + "/coefficients.toml", {toml.str()});
  write_file_atomically(dir + "/table.md", {lr_bs_markdown(f)});
}

LrBsCoefficients read_lr_bs_coefficients(const std::string& path) {
  FitReport r = read_coefficients(path);
  if (r.law != "lr-bs") throw UsageError(path + ": coefficients of law '" + r.law + "', not lr-bs");
  auto get = [&](const char* name) {
    for (const auto& [n, v] : r.coefficients)
      if (n == name) return v;
    throw UsageError(path + ": lr-bs coefficients lack '" + std::string(name) + "'");
  };
  return {get("eta0"), get("eta_n"), get("eta_d"), get("b0"), get("b_d")};
}

}  // namespace moelaw::analysis
