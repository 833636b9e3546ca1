#include "analysis/law_spec.hpp"

#include <cmath>
#include <cstdlib>

#include "analysis/joint_objective.hpp"
#include "analysis/laws.hpp"
#include "analysis/objective.hpp"
#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

std::vector<double> range(double from, double to, double step) {
  std::vector<double> v;
  for (double x = from; x <= to + 1e-9 * std::abs(step); x += step) v.push_back(x);
  return v;
}
std::vector<double> logs(std::vector<double> v) {
  for (double& x : v) x = std::log(x);
  return v;
}

double lookup(const Coefficients& c, const std::string& law, const std::string& name) {
  for (const auto& [n, v] : c)
    if (n == name) return v;
  throw UsageError("coefficients of law '" + law + "' lack '" + name + "'");
}

// What every law shares: the functor gives predictions and the Jet objective.
template <class Law>
class LawBase : public LawSpec {
 public:
  double predict_ln(const double* p, const double* x) const override { return Law()(p, x); }
  std::unique_ptr<ceres::FirstOrderFunction> objective(const std::vector<Sample>& samples,
                                                       double delta) const override {
    return std::make_unique<HuberObjective<Law>>(samples, delta);
  }
};

class Chinchilla final : public LawBase<ChinchillaLaw> {
 public:
  std::string name() const override { return "chinchilla"; }
  std::string n_column() const override { return "n_act"; }
  // Hoffmann et al.'s grid: 6·6·5·5·5 = 4,500 starts.
  const std::vector<ParamSpec>& params() const override {
    static const std::vector<ParamSpec> p = {{"ln_A", range(0, 25, 5)},   {"ln_B", range(0, 25, 5)},
                                             {"ln_E", range(-1, 1, 0.5)}, {"alpha", range(0, 2, 0.5)},
                                             {"beta", range(0, 2, 0.5)}};
    return p;
  }
  double default_huber_delta() const override { return 1e-3; }
  Coefficients coefficients(const double* p) const override {
    return {{"A", std::exp(p[0])}, {"B", std::exp(p[1])}, {"E", std::exp(p[2])}, {"alpha", p[3]}, {"beta", p[4]}};
  }
  std::vector<double> from_coefficients(const Coefficients& c) const override {
    auto get = [&](const char* n) { return lookup(c, name(), n); };
    return {std::log(get("A")), std::log(get("B")), std::log(get("E")), get("alpha"), get("beta")};
  }
  std::array<double, 3> features(const RunsTable& t, size_t row) const override {
    return {std::log(cell_number(t, row, "n_act")), std::log(cell_number(t, row, "tokens")), 0.0};
  }
};

class Joint final : public LawBase<JointLaw> {
 public:
  std::string name() const override { return "joint"; }
  std::string n_column() const override { return "n_act"; }
  // The joint-law paper's 3^9 grid over the exponents (signed: the terms are a·N^α with α < 0),
  // a, b, c and the four Ê interactions. The paper does not give starts for E_start and E_max;
  // we start every point at E_start = 2 (a dense model counts as two experts' worth, a neutral
  // guess) and E_max = 100 (saturation well above the usual E ≤ 64 grids).
  const std::vector<ParamSpec>& params() const override {
    static const std::vector<ParamSpec> p = {
        {"ln_a", logs({30, 100, 300})},  {"alpha", {-0.05, -0.25, -0.5}}, {"delta", {-0.5, 0, 0.5}},
        {"gamma", {-0.5, 0, 0.5}},       {"ln_b", logs({30, 100, 300})},  {"beta", {-0.05, -0.25, -0.5}},
        {"omega", {-0.5, 0, 0.5}},       {"zeta", {-0.5, 0, 0.5}},        {"ln_e_start", {std::log(2.0)}},
        {"ln_e_max_minus_start", {std::log(98.0)}}, {"ln_c", logs({0.5, 1, 2})}};
    return p;
  }
  double default_huber_delta() const override { return 0.01; }
  std::unique_ptr<ceres::FirstOrderFunction> objective(const std::vector<Sample>& samples,
                                                       double delta) const override {
    return std::make_unique<JointObjective>(samples, delta);  // hand gradient: the hot fit
  }
  Coefficients coefficients(const double* p) const override {
    double e_start = std::exp(p[8]);
    return {{"a", std::exp(p[0])}, {"alpha", p[1]}, {"delta", p[2]},         {"gamma", p[3]},
            {"b", std::exp(p[4])}, {"beta", p[5]},  {"omega", p[6]},         {"zeta", p[7]},
            {"e_start", e_start},  {"e_max", e_start + std::exp(p[9])},      {"c", std::exp(p[10])}};
  }
  std::vector<double> from_coefficients(const Coefficients& c) const override {
    auto get = [&](const char* n) { return lookup(c, name(), n); };
    double e_start = get("e_start"), e_max = get("e_max");
    if (!(e_max > e_start && e_start > 0))
      throw UsageError("joint-law coefficients need e_max > e_start > 0");
    return {std::log(get("a")), get("alpha"), get("delta"), get("gamma"), std::log(get("b")), get("beta"),
            get("omega"), get("zeta"), std::log(e_start), std::log(e_max - e_start), std::log(get("c"))};
  }
  std::array<double, 3> features(const RunsTable& t, size_t row) const override {
    return {std::log(cell_number(t, row, "n_act")), std::log(cell_number(t, row, "tokens")),
            cell_number(t, row, "experts")};
  }
};

class Sparsity final : public LawBase<SparsityLaw> {
 public:
  std::string name() const override { return "sparsity"; }
  std::string n_column() const override { return "n_total"; }
  // Abnar et al.'s grid: 3^4·6^3·5^2 = 437,400 starts, ln e fixed at 1.5.
  const std::vector<ParamSpec>& params() const override {
    static const std::vector<ParamSpec> p = {
        {"ln_a", {0, 10, 20}}, {"ln_b", {0, 10, 20}},  {"ln_c", {0, 10, 20}},  {"ln_d", {0, 10, 20}},
        {"ln_e", {1.5}},       {"alpha", range(0, 1.25, 0.25)}, {"beta", range(0, 1.25, 0.25)},
        {"gamma", range(0, 1.25, 0.25)}, {"lambda", range(-1, 1, 0.5)}, {"delta", range(-1, 1, 0.5)}};
    return p;
  }
  double default_huber_delta() const override { return 1e-3; }
  Coefficients coefficients(const double* p) const override {
    return {{"alpha", p[5]}, {"beta", p[6]}, {"lambda", p[8]}, {"delta", p[9]}, {"gamma", p[7]},
            {"a", std::exp(p[0])}, {"b", std::exp(p[1])}, {"c", std::exp(p[2])}, {"d", std::exp(p[3])},
            {"e", std::exp(p[4])}};
  }
  std::vector<double> from_coefficients(const Coefficients& c) const override {
    auto get = [&](const char* n) { return lookup(c, name(), n); };
    return {std::log(get("a")), std::log(get("b")), std::log(get("c")), std::log(get("d")), std::log(get("e")),
            get("alpha"), get("beta"), get("gamma"), get("lambda"), get("delta")};
  }
  std::array<double, 3> features(const RunsTable& t, size_t row) const override {
    return {std::log(cell_number(t, row, "n_total")), std::log(cell_number(t, row, "tokens")),
            std::log1p(-row_sparsity(t, row))};
  }
};

class MoeLogLinear final : public LawBase<MoeLogLinearLaw> {
 public:
  std::string name() const override { return "moe-loglinear"; }
  std::string n_column() const override { return "n_act"; }
  // The law's published grid: 5^3·6^4·5 = 810,000 starts.
  const std::vector<ParamSpec>& params() const override {
    static const std::vector<ParamSpec> p = {
        {"ln_A", range(0, 25, 5)},  {"ln_B", range(0, 25, 5)},  {"ln_C", range(0, 25, 5)},
        {"ln_F", range(-1, 1, 0.5)}, {"alpha", range(0, 2, 0.5)}, {"beta", range(0, 2, 0.5)},
        {"gamma", range(0, 2, 0.5)}, {"d", range(0, 25, 5)}};
    return p;
  }
  double default_huber_delta() const override { return 1e-3; }
  Coefficients coefficients(const double* p) const override {
    return {{"A", std::exp(p[0])}, {"B", std::exp(p[1])}, {"C", std::exp(p[2])}, {"F", std::exp(p[3])},
            {"alpha", p[4]},       {"beta", p[5]},        {"gamma", p[6]},       {"d", p[7]}};
  }
  std::vector<double> from_coefficients(const Coefficients& c) const override {
    auto get = [&](const char* n) { return lookup(c, name(), n); };
    return {std::log(get("A")), std::log(get("B")), std::log(get("C")), std::log(get("F")),
            get("alpha"), get("beta"), get("gamma"), get("d")};
  }
  std::array<double, 3> features(const RunsTable& t, size_t row) const override {
    return {std::log(cell_number(t, row, "n_act")), std::log(cell_number(t, row, "tokens")),
            std::log(cell_number(t, row, "experts"))};
  }
};

}  // namespace

const LawSpec& law_spec(const std::string& name) {
  static const Chinchilla chinchilla;
  static const Joint joint;
  static const Sparsity sparsity;
  static const MoeLogLinear loglinear;
  for (const LawSpec* l : std::initializer_list<const LawSpec*>{&chinchilla, &joint, &sparsity, &loglinear})
    if (l->name() == name) return *l;
  throw UsageError("unknown law '" + name + "' (chinchilla, joint, sparsity, moe-loglinear, lr, lr-bs, isoflop)");
}

double cell_number(const RunsTable& t, size_t row, const std::string& column, bool positive) {
  int c = t.column_index(column);
  if (c < 0) throw UsageError(t.source + ": missing column '" + column + "'");
  const std::string& cell = t.rows[row][c];
  std::string where = located(t.source, t.lines[row], "row " + std::to_string(row + 1) + ", column '" + column + "': ");
  char* end = nullptr;
  double x = std::strtod(cell.c_str(), &end);
  if (cell.empty() || *end != '\0') throw UsageError(where + "not a number: '" + cell + "'");
  if (!std::isfinite(x)) throw UsageError(where + "not finite: '" + cell + "'");
  if (positive && x <= 0) throw UsageError(where + "must be positive, got " + cell);
  return x;
}

double row_sparsity(const RunsTable& t, size_t row) {
  double s;
  std::string column = "sparsity";
  if (t.column_index("sparsity") >= 0) {
    s = cell_number(t, row, "sparsity", false);
  } else {
    double e = cell_number(t, row, "experts"), k = cell_number(t, row, "top_k");
    s = (e - k) / e;
    column = "experts";
  }
  if (s < 0 || s >= 1)
    throw UsageError(located(t.source, t.lines[row], "row " + std::to_string(row + 1) + ", column '" + column +
                                                         "': sparsity must be in [0, 1), got " + std::to_string(s)));
  return s;
}

std::vector<Sample> samples_for(const LawSpec& law, const RunsTable& t, const std::string& weight_column) {
  std::vector<Sample> out;
  out.reserve(t.rows.size());
  for (size_t r = 0; r < t.rows.size(); ++r) {
    Sample s;
    s.x = law.features(t, r);
    s.ln_loss = std::log(cell_number(t, r, "final_loss"));
    s.weight = weight_column.empty() ? 1.0 : cell_number(t, r, weight_column);
    s.line = t.lines[r];
    s.n = cell_number(t, r, law.n_column());
    s.tokens = cell_number(t, r, "tokens");
    s.experts = t.column_index("experts") >= 0 ? cell_number(t, r, "experts") : 1.0;
    out.push_back(s);
  }
  return out;
}

}  // namespace moelaw::analysis
