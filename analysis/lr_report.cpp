#include "analysis/lr_report.hpp"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "analysis/plots.hpp"
#include "common/atomic_file.hpp"
#include "common/output_dir.hpp"

namespace moelaw::analysis {

nlohmann::json lr_json(const LrFit& f) {
  nlohmann::json sweeps = nlohmann::json::array();
  for (const auto& s : f.sweeps)
    sweeps.push_back({{"n_act_nonembedding", s.n}, {"experts", s.experts}, {"best_lr", s.best_lr},
                      {"best_loss", s.best_loss}, {"from_parabola", s.from_parabola}, {"residual", s.residual}});
  return {{"law", "lr"},
          {"coefficients", {{"c0", f.c0}, {"c1", f.c1}, {"c2", f.c2}}},
          {"rmse_train", f.rmse},
          {"rmse_holdout", nullptr},
          {"sweeps", sweeps}};
}

FitReport lr_report(const LrFit& f) {
  FitReport r;
  r.law = "lr";
  r.coefficients = {{"c0", f.c0}, {"c1", f.c1}, {"c2", f.c2}};
  r.rmse_train = f.rmse;
  r.rmse_holdout = NAN;
  r.n_train = f.sweeps.size();
  return r;
}

std::vector<std::string> write_lr_files(const std::string& dir, const LrFit& f) {
  create_output_directory(dir, "--out directory");
  FitReport r = lr_report(f);
  write_file_atomically(dir + "/coefficients.json", {lr_json(f).dump(1) + "\n"});
  write_file_atomically(dir + "/coefficients.toml", {to_toml(r)});
  write_file_atomically(dir + "/table.md", {markdown_table({r})});
  write_file_atomically(dir + "/table.tex", {latex_table({r})});
  return plot_lr(dir, f);
}

std::string lr_text(const LrFit& f) {
  std::ostringstream s;
  s << "ln LR* = c0 + c1 ln N + c2 ln E over " << f.sweeps.size() << " sweeps (RMSE of ln LR* " << f.rmse << ")\n\n"
    << markdown_table({lr_report(f)}) << "\n| N | E | LR* | loss at LR* | parabola | residual |\n|"
    << " ---: | ---: | ---: | ---: | --- | ---: |\n";
  for (const auto& x : f.sweeps)
    s << "| " << x.n << " | " << x.experts << " | " << x.best_lr << " | " << x.best_loss << " | "
      << (x.from_parabola ? "yes" : "no (edge)") << " | " << x.residual << " |\n";
  return s.str();
}

}  // namespace moelaw::analysis
