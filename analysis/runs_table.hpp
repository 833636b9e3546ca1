#pragma once
// The runs table: one row per finished training run, read from CSV (header first).
#include <map>
#include <string>
#include <vector>

namespace moelaw::analysis {

struct RunsTable {
  std::string source;                         // file name, for messages
  std::vector<std::string> columns;           // header order
  std::vector<std::vector<std::string>> rows; // raw cells
  std::vector<long> lines;                    // source line of each row

  int column_index(const std::string& name) const;  // -1 if absent
  // The numeric column, every value checked finite and (if positive_only) > 0; a missing column or
  // a bad cell is a UsageError naming the file, row line and column.
  std::vector<double> numbers(const std::string& column, bool positive_only = true) const;
  // One cell of it (row counts from 0), checked the same way: a plain decimal number, finite.
  double number(size_t row, const std::string& column, bool positive_only = true) const;
};

RunsTable read_runs_csv(const std::string& path);

}  // namespace moelaw::analysis
