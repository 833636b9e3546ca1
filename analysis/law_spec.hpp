#pragma once
// The laws as the fitting code sees them at run time: parameter names and default initialisation
// grids (each paper's), the default Huber δ, which runs-table columns feed the features, the
// objective (for Ceres) and the translation from the fitted log-form parameters to the published
// coefficient names.
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ceres/gradient_problem.h>

#include "analysis/runs_table.hpp"

namespace moelaw::analysis {

// One run as a law sees it.
struct Sample {
  std::array<double, 3> x{};  // the law's features (see laws.hpp)
  double ln_loss = 0;
  double weight = 1;
  long line = 0;       // source line in the runs table, for messages
  double n = 0, tokens = 0, experts = 1;  // for plots and tables
};

struct ParamSpec {
  std::string name;          // as in --init-grid, e.g. "ln_a", "alpha"
  std::vector<double> grid;  // default initialisation values
};

using Coefficients = std::vector<std::pair<std::string, double>>;

class LawSpec {
 public:
  virtual ~LawSpec() = default;
  virtual std::string name() const = 0;
  virtual std::string n_column() const = 0;  // which parameter count the law's N is
  virtual const std::vector<ParamSpec>& params() const = 0;
  virtual double default_huber_delta() const = 0;
  virtual double predict_ln(const double* p, const double* x) const = 0;
  // Σ weight·Huber_δ(ln L − ln L̂) over the samples; the samples must outlive the function.
  virtual std::unique_ptr<ceres::FirstOrderFunction> objective(const std::vector<Sample>& samples,
                                                               double huber_delta) const = 0;
  // Published names and values (A = e^{ln A}, exponents with the paper's sign, ...).
  virtual Coefficients coefficients(const double* p) const = 0;
  // The inverse: parameters from published coefficients (missing names are a UsageError).
  virtual std::vector<double> from_coefficients(const Coefficients& c) const = 0;
  // Features of one row; a missing or bad cell is a UsageError naming row and column.
  virtual std::array<double, 3> features(const RunsTable& t, size_t row) const = 0;
  int num_params() const { return static_cast<int>(params().size()); }
};

// "chinchilla", "joint", "sparsity", "moe-loglinear"; anything else is a UsageError.
const LawSpec& law_spec(const std::string& name);

// Checked numeric cell (finite; > 0 when positive): UsageError "file:line: column 'c': ...".
double cell_number(const RunsTable& t, size_t row, const std::string& column, bool positive = true);
// Sparsity S of a row: the `sparsity` column when the table has one, else (E − k)/E.
double row_sparsity(const RunsTable& t, size_t row);

// Every row of the table as samples of the law (loss from final_loss, weights from the optional
// column, each checked positive).
std::vector<Sample> samples_for(const LawSpec& law, const RunsTable& t, const std::string& weight_column = "");

}  // namespace moelaw::analysis
