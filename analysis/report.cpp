#include "analysis/report.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <toml++/toml.h>

#include "common/errors.hpp"
#include "common/file_io.hpp"

namespace moelaw::analysis {

namespace {

nlohmann::json number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

std::string fmt(double x, const char* f = "%.6g") {
  if (!std::isfinite(x)) return "–";
  char b[64];
  std::snprintf(b, sizeof b, f, x);
  return b;
}

// Greek names as LaTeX; others as they are.
std::string latex_name(const std::string& n) {
  static const char* greek[] = {"alpha", "beta", "gamma", "delta", "omega", "zeta", "lambda", "mu", "nu"};
  for (const char* g : greek)
    if (n == g) return std::string("$\\") + g + "$";
  if (n == "e_start") return "$E_\\mathrm{start}$";
  if (n == "e_max") return "$E_\\mathrm{max}$";
  return "$" + n + "$";
}

}  // namespace

nlohmann::json to_json(const FitReport& r) {
  nlohmann::json c = nlohmann::json::object();
  for (const auto& [n, v] : r.coefficients) c[n] = number(v);
  nlohmann::json j = {{"law", r.law},
                      {"coefficients", c},
                      {"rmse_train", number(r.rmse_train)},
                      {"rmse_holdout", number(r.rmse_holdout)},
                      {"objective", number(r.objective)},
                      {"huber_delta", r.huber_delta},
                      {"n_train", r.n_train},
                      {"n_holdout", r.n_holdout},
                      {"starts", r.starts},
                      {"failed_starts", r.failed_starts}};
  if (r.solved_starts > 0) j["solved_starts"] = r.solved_starts;
  if (!r.group.empty()) j["group"] = r.group;
  if (!r.intervals.empty()) {
    for (const auto& i : r.intervals) j["intervals"][i.name] = {{"p10", number(i.p10)}, {"p90", number(i.p90)}};
  }
  return j;
}

std::string to_toml(const FitReport& r) {
  toml::table t{{"law", r.law}};
  if (!r.group.empty()) t.insert("group", r.group);
  toml::table c;
  for (const auto& [n, v] : r.coefficients) c.insert(n, v);
  t.insert("coefficients", c);
  toml::table fit{{"objective", r.objective},
                  {"huber_delta", r.huber_delta},
                  {"rmse_train", r.rmse_train},
                  {"n_train", static_cast<int64_t>(r.n_train)},
                  {"n_holdout", static_cast<int64_t>(r.n_holdout)},
                  {"starts", static_cast<int64_t>(r.starts)}};
  if (std::isfinite(r.rmse_holdout)) fit.insert("rmse_holdout", r.rmse_holdout);
  t.insert("fit", fit);
  if (!r.intervals.empty()) {
    toml::table iv;
    for (const auto& i : r.intervals) iv.insert(i.name, toml::table{{"p10", i.p10}, {"p90", i.p90}});
    t.insert("intervals", iv);
  }
  std::ostringstream out;
  out << t << "\n";
  return out.str();
}

FitReport read_coefficients(const std::string& path) {
  const std::string text = read_file(path, "cannot open coefficients file");
  FitReport r;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    if (!j.is_object() || !j.contains("law") || !j.contains("coefficients") || !j["coefficients"].is_object())
      throw UsageError(path + ": expected a JSON object with 'law' and 'coefficients' (what moelaw fit --json prints)");
    r.law = j["law"].get<std::string>();
    for (auto& [n, v] : j["coefficients"].items()) {
      if (!v.is_number()) throw UsageError(path + ": coefficient '" + n + "' is not a number");
      r.coefficients.emplace_back(n, v.get<double>());
    }
    return r;
  }
  toml::table t;
  try {
    t = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw UsageError(path + ": neither JSON nor TOML (" + std::string(e.description()) + ")");
  }
  auto law = t["law"].value<std::string>();
  auto* c = t["coefficients"].as_table();
  if (!law || !c) throw UsageError(path + ": expected 'law' and a [coefficients] table (what moelaw fit writes)");
  r.law = *law;
  for (auto& [k, v] : *c) {
    auto x = v.value<double>();
    if (!x) throw UsageError(path + ": coefficient '" + std::string(k.str()) + "' is not a number");
    r.coefficients.emplace_back(std::string(k.str()), *x);
  }
  return r;
}

std::string markdown_table(const std::vector<FitReport>& fits) {
  std::ostringstream o;
  bool grouped = !fits.empty() && !fits[0].group.empty();
  o << "| " << (grouped ? "group | " : "");
  for (const auto& [n, v] : fits.at(0).coefficients) o << n << " | ";
  o << "RMSE train | RMSE held out | runs |\n|" << (grouped ? " --- |" : "");
  for (size_t i = 0; i < fits[0].coefficients.size() + 3; ++i) o << " ---: |";
  o << "\n";
  for (const auto& f : fits) {
    o << "| " << (grouped ? f.group + " | " : "");
    for (const auto& [n, v] : f.coefficients) o << fmt(v) << " | ";
    o << fmt(f.rmse_train, "%.4g") << " | " << fmt(f.rmse_holdout, "%.4g") << " | " << f.n_train << "+" << f.n_holdout
      << " |\n";
    if (!f.intervals.empty()) {
      o << "| " << (grouped ? "(10th–90th) | " : "");
      for (const auto& i : f.intervals) o << "[" << fmt(i.p10, "%.4g") << ", " << fmt(i.p90, "%.4g") << "] | ";
      o << " | | |\n";
    }
  }
  return o.str();
}

std::string latex_table(const std::vector<FitReport>& fits) {
  std::ostringstream o;
  bool grouped = !fits.empty() && !fits[0].group.empty();
  size_t cols = fits.at(0).coefficients.size() + 2 + (grouped ? 1 : 0);
  o << "\\begin{tabular}{" << std::string(cols, 'r') << "}\n\\hline\n";
  if (grouped) o << "group & ";
  for (const auto& [n, v] : fits[0].coefficients) o << latex_name(n) << " & ";
  o << "RMSE$_\\mathrm{train}$ & RMSE$_\\mathrm{held\\,out}$ \\\\\n\\hline\n";
  for (const auto& f : fits) {
    if (grouped) o << f.group << " & ";
    for (const auto& [n, v] : f.coefficients) o << fmt(v, "%.4g") << " & ";
    o << fmt(f.rmse_train, "%.4g") << " & " << (std::isfinite(f.rmse_holdout) ? fmt(f.rmse_holdout, "%.4g") : "--")
      << " \\\\\n";
  }
  o << "\\hline\n\\end{tabular}\n";
  return o.str();
}

}  // namespace moelaw::analysis
