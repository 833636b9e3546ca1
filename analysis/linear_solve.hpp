#pragma once
// The dense solves the fits share, instantiated once (linear_solve.cpp): each of Eigen's
// decompositions costs seconds of compile time in every file that names it.
#include <Eigen/Core>

namespace moelaw::analysis {

// argmin_x |a·x − b|², by column-pivoting Householder QR (where a is rank-deficient, a basic
// solution, not the minimum-norm one).
Eigen::VectorXd least_squares(const Eigen::MatrixXd& a, const Eigen::VectorXd& b);
Eigen::Index column_rank(const Eigen::MatrixXd& a);  // the same QR's numerical rank

// m⁻¹·b for a symmetric positive (semi)definite m, by LDLᵀ with pivoting.
Eigen::MatrixXd solve_symmetric(const Eigen::MatrixXd& m, const Eigen::MatrixXd& b);

}  // namespace moelaw::analysis
