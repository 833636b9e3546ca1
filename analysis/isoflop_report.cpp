#include "analysis/isoflop_report.hpp"

#include <sstream>

#include "analysis/optimal_tables.hpp"

namespace moelaw::analysis {

nlohmann::json isoflop_json(const std::vector<IsoflopFit>& fits) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& f : fits) {
    nlohmann::json c = nlohmann::json::object();
    for (const auto& [n, v] : f.coefficients()) c[n] = v;
    nlohmann::json j = {{"budget", f.budget}, {"coefficients", c}, {"rmse", f.rmse}, {"runs", f.runs},
                        {"optimum", nullptr}};
    if (f.has_minimum) j["optimum"] = {{"n_total", f.n_total}, {"sparsity", f.sparsity}, {"loss", f.loss}};
    all.push_back(j);
  }
  nlohmann::json out = {{"law", "isoflop"}, {"fits", all}};
  if (fits.size() == 1) out["coefficients"] = all[0]["coefficients"], out["optimum"] = all[0]["optimum"];
  return out;
}

std::string isoflop_markdown(const std::vector<IsoflopFit>& fits) {
  const auto g = short_number;
  std::ostringstream o;
  o << "L = c0 + c_n·x + c_s·y + c_nn·x² + c_ss·y² + c_ns·x·y, x = ln N, y = −ln(1−S), per budget\n\n"
       "| budget | runs | c0 | c_n | c_s | c_nn | c_ss | c_ns | RMSE | N* | S* | loss at optimum |\n"
       "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& f : fits) {
    o << "| " << g(f.budget) << " | " << f.runs << " |";
    for (const auto& [n, v] : f.coefficients()) o << " " << g(v) << " |";
    o << " " << g(f.rmse) << " | "
      << (f.has_minimum ? g(f.n_total) + " | " + g(f.sparsity) + " | " + g(f.loss) : "no minimum | – | –") << " |\n";
  }
  return o.str();
}

}  // namespace moelaw::analysis
