#include "analysis/runs_table.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/errors.hpp"

namespace moelaw::analysis {

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { cell += '"'; ++i; }
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  cells.push_back(cell);
  return cells;
}

}  // namespace

int RunsTable::column_index(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return static_cast<int>(i);
  return -1;
}

std::vector<double> RunsTable::numbers(const std::string& column, bool positive_only) const {
  int c = column_index(column);
  if (c < 0) throw UsageError(source + ": missing column '" + column + "'");
  std::vector<double> out;
  out.reserve(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string& cell = rows[r][c];
    char* end = nullptr;
    double x = std::strtod(cell.c_str(), &end);
    std::string where = located(source, lines[r], "column '" + column + "': ");
    if (cell.empty() || *end != '\0') throw UsageError(where + "not a number: '" + cell + "'");
    if (!std::isfinite(x)) throw UsageError(where + "not finite: '" + cell + "'");
    if (positive_only && x <= 0) throw UsageError(where + "must be positive, got " + cell);
    out.push_back(x);
  }
  return out;
}

RunsTable read_runs_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(path + ": cannot open runs table");
  RunsTable t;
  t.source = path;
  std::string line;
  long number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r") continue;
    auto cells = split_csv_line(line);
    if (t.columns.empty()) {
      t.columns = cells;
      continue;
    }
    if (cells.size() != t.columns.size())
      throw UsageError(located(path, number, "has " + std::to_string(cells.size()) +
                                                 " cells, the header has " +
                                                 std::to_string(t.columns.size())));
    t.rows.push_back(std::move(cells));
    t.lines.push_back(number);
  }
  if (t.columns.empty()) throw UsageError(path + ": empty runs table (no header)");
  return t;
}

}  // namespace moelaw::analysis
