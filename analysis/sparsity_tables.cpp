#include "analysis/sparsity_tables.hpp"

#include <sstream>

#include "analysis/optimal_tables.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

nlohmann::json model_json(const SparseModel& m) {
  return {{"budget", m.budget}, {"sparsity", m.sparsity}, {"experts", m.experts}, {"n_total", m.n_total},
          {"n_act", m.n_act},   {"tokens", m.tokens},     {"loss", m.loss},       {"d_model", m.d_model}};
}

void table(std::ostream& s, const std::string& title, const std::vector<SparseModel>& rows) {
  const auto g = short_number;
  s << "\n## " << title << "\n\n| budget | N | S | E | N_act | D | loss | d_model |\n"
       "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& m : rows)
    s << "| " << g(m.budget) << " | " << g(m.n_total) << " | " << g(m.sparsity) << " | " << g(m.experts) << " | "
      << g(m.n_act) << " | " << g(m.tokens) << " | " << g(m.loss) << " | " << g(m.d_model) << " |\n";
}

}  // namespace

SparsityTables sparsity_tables(const FitReport& fit, const std::string& source, const SparsityTablesRequest& r) {
  if (fit.law != "sparsity") throw UsageError(source + ": coefficients of law '" + fit.law + "', not sparsity");
  SparsityLaw5 law = SparsityLaw5::from(fit.coefficients);
  SparsityTables t;
  t.coefficients = fit.coefficients;
  for (double c : r.budgets) {
    for (double n : r.totals) t.optimal_sparsity.push_back(optimal_sparsity(law, c, n));
    for (double s : r.sparsities) t.compute_optimal.push_back(compute_optimal_at_sparsity(law, c, s));
  }
  return t;
}

nlohmann::json to_json(const SparsityTables& t) {
  nlohmann::json out = {{"law", "sparsity"}, {"coefficients", nlohmann::json::object()},
                        {"optimal_sparsity", nlohmann::json::array()}, {"compute_optimal", nlohmann::json::array()}};
  for (const auto& [n, v] : t.coefficients) out["coefficients"][n] = v;
  for (const auto& m : t.optimal_sparsity) out["optimal_sparsity"].push_back(model_json(m));
  for (const auto& m : t.compute_optimal) out["compute_optimal"].push_back(model_json(m));
  return out;
}

std::string to_markdown(const SparsityTables& t) {
  std::ostringstream s;
  s << "Sparsity law: L = a/N^alpha + b/D^beta + c/(1-S)^lambda + d/((1-S)^delta N^gamma) + e, N total, "
       "C = 6 N_act D\n";
  table(s, "Optimal sparsity S* at fixed budget and total N", t.optimal_sparsity);
  table(s, "Compute-optimal N at fixed budget and sparsity", t.compute_optimal);
  return s.str();
}

}  // namespace moelaw::analysis
