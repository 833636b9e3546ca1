#include "analysis/linear_solve.hpp"

#include <Eigen/Cholesky>
#include <Eigen/QR>

namespace moelaw::analysis {

Eigen::VectorXd least_squares(const Eigen::MatrixXd& a, const Eigen::VectorXd& b) {
  return a.colPivHouseholderQr().solve(b);
}

Eigen::Index column_rank(const Eigen::MatrixXd& a) { return a.colPivHouseholderQr().rank(); }

Eigen::MatrixXd solve_symmetric(const Eigen::MatrixXd& m, const Eigen::MatrixXd& b) { return m.ldlt().solve(b); }

}  // namespace moelaw::analysis
