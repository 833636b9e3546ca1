#include "analysis/plots.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>

#include "analysis/report.hpp"
#include "common/atomic_file.hpp"

namespace moelaw::analysis {

namespace {

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

// Renders DIR/NAME.gp (which sets its own PNG output) if gnuplot is there.
void render(const std::string& dir, const std::string& name, std::vector<std::string>& notes) {
  if (!have_gnuplot()) {
    notes.push_back("gnuplot not found: wrote " + dir + "/" + name + ".gp, skipped " + name + ".png");
    return;
  }
  std::string cmd = "cd '" + dir + "' && gnuplot " + name + ".gp >/dev/null 2>" + name + ".log";
  if (std::system(cmd.c_str()) != 0) notes.push_back("gnuplot failed on " + name + ".gp (see " + name + ".log)");
}

const char* kHeader = "set terminal pngcairo size 900,650\nset key outside right\nset grid\n";

}  // namespace

std::vector<std::string> plot_fit(const std::string& dir, const LawSpec& law, const std::vector<double>& params,
                                  const std::vector<Sample>& samples, const std::vector<bool>& held) {
  std::vector<std::string> notes;
  {
    std::ofstream d(dir + "/predicted_vs_observed.dat");
    d << "# observed predicted experts held_out\n";
    for (size_t i = 0; i < samples.size(); ++i)
      d << std::exp(samples[i].ln_loss) << " " << std::exp(law.predict_ln(params.data(), samples[i].x.data())) << " "
        << samples[i].experts << " " << (held[i] ? 1 : 0) << "\n";
  }
  write_file_atomically(dir + "/predicted_vs_observed.gp",
                        {std::string(kHeader) + "set output 'predicted_vs_observed.png'\n"
                         "set title 'law " + law.name() + ": predicted against observed loss'\n"
                         "set xlabel 'observed loss'\nset ylabel 'predicted loss'\nset cblabel 'E'\nset logscale cb 2\n"
                         "plot 'predicted_vs_observed.dat' using 1:($4==0?$2:1/0):3 with points pt 7 palette title 'train', \\\n"
                         "     '' using 1:($4==1?$2:1/0):3 with points pt 6 ps 2 palette title 'held out', \\\n"
                         "     x with lines lc 'black' title 'y = x'\n"});
  render(dir, "predicted_vs_observed", notes);

  // One block per model (N, E): observed points, then the law's curve over the model's token range.
  std::map<std::pair<double, double>, std::vector<const Sample*>> models;
  for (const auto& s : samples) models[{s.n, s.experts}].push_back(&s);
  {
    std::ofstream pts(dir + "/loss_vs_tokens.dat"), fit(dir + "/loss_vs_tokens_fit.dat");
    for (const auto& [key, runs] : models) {
      double lo = INFINITY, hi = 0;
      for (const Sample* s : runs) {
        pts << s->tokens << " " << std::exp(s->ln_loss) << " " << key.second << "\n";
        lo = std::min(lo, s->tokens), hi = std::max(hi, s->tokens);
      }
      pts << "\n\n";
      for (int i = 0; i <= 40; ++i) {
        double t = lo / 2 * std::pow(4 * hi / lo, i / 40.0);
        auto x = runs[0]->x;
        x[1] = std::log(t);
        fit << t << " " << std::exp(law.predict_ln(params.data(), x.data())) << " " << key.second << "\n";
      }
      fit << "\n\n";
    }
  }
  write_file_atomically(dir + "/loss_vs_tokens.gp",
                        {std::string(kHeader) + "set output 'loss_vs_tokens.png'\n"
                         "set title 'law " + law.name() + ": loss against tokens, one curve per model'\n"
                         "set logscale x\nset xlabel 'tokens D'\nset ylabel 'loss'\nset cblabel 'E'\nset logscale cb 2\n"
                         "plot 'loss_vs_tokens.dat' using 1:2:3 with points pt 7 palette notitle, \\\n"
                         "     'loss_vs_tokens_fit.dat' using 1:2:3 with lines palette notitle\n"});
  render(dir, "loss_vs_tokens", notes);
  return notes;
}

std::vector<std::string> plot_lr(const std::string& dir, const LrFit& fit) {
  std::vector<std::string> notes;
  std::ofstream pts(dir + "/lr_sweeps.dat"), curve(dir + "/lr_sweeps_fit.dat"), best(dir + "/lr_optimum.dat");
  for (const auto& s : fit.sweeps) {
    for (size_t i = 0; i < s.lr.size(); ++i) pts << s.lr[i] << " " << s.loss[i] << " " << s.experts << "\n";
    pts << "\n\n";
    if (s.from_parabola) {
      for (int i = 0; i <= 30; ++i) {
        double u = std::log(s.best_lr) + (i - 15) * 0.05;
        curve << std::exp(u) << " " << s.q0 + s.q1 * u + s.q2 * u * u << " " << s.experts << "\n";
      }
      curve << "\n\n";
    }
    best << s.best_lr << " " << s.best_loss << " " << s.experts << "\n";
  }
  pts.close(), curve.close(), best.close();
  write_file_atomically(dir + "/lr_sweeps.gp",
                        {std::string(kHeader) + "set output 'lr_sweeps.png'\n"
                         "set title 'loss against learning rate per sweep; crosses: fitted optimum'\n"
                         "set logscale x\nset xlabel 'learning rate'\nset ylabel 'loss'\nset cblabel 'E'\nset logscale cb 2\n"
                         "plot 'lr_sweeps.dat' using 1:2:3 with linespoints pt 7 palette notitle, \\\n"
                         "     'lr_sweeps_fit.dat' using 1:2:3 with lines dt 2 palette notitle, \\\n"
                         "     'lr_optimum.dat' using 1:2 with points pt 2 ps 2 lc 'black' title 'LR*'\n"});
  render(dir, "lr_sweeps", notes);
  return notes;
}

std::vector<std::string> plot_forecast(const std::string& dir, const std::string& name, const std::string& title,
                                       const std::vector<long>& observed_steps, const std::vector<double>& observed,
                                       const std::vector<long>& steps, const std::vector<double>& predicted) {
  std::vector<std::string> notes;
  {
    std::ofstream d(dir + "/" + name + ".dat");
    d << "# step observed\n";
    for (size_t i = 0; i < observed_steps.size(); ++i) d << observed_steps[i] << " " << observed[i] << "\n";
    d << "\n\n# step predicted\n";
    for (size_t i = 0; i < steps.size(); ++i) d << steps[i] << " " << predicted[i] << "\n";
  }
  std::string t = title;
  for (char& c : t)
    if (c == '\'' || c == '\\') c = '_';  // the title sits in a gnuplot string
  write_file_atomically(dir + "/" + name + ".gp",
                        {std::string(kHeader) + "set output '" + name + ".png'\nset title '" + t + "' noenhanced\n"
                         "set xlabel 'step'\nset ylabel 'loss'\n"
                         "plot '" + name + ".dat' index 0 using 1:2 with points pt 7 ps 0.5 title 'observed', \\\n"
                         "     '' index 1 using 1:2 with lines lw 2 title 'predicted'\n"});
  render(dir, name, notes);
  return notes;
}

}  // namespace moelaw::analysis
