#include "analysis/runs_table.hpp"

#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "common/errors.hpp"
#include "common/file_io.hpp"

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

// Plain decimal numbers only ("-1.5", "3e-2", "1280"): strtod alone would also take "0x10",
// "inf", "nan" and leading blanks, none of which a runs table should hold.
bool is_decimal(const std::string& s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t from = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i - from;
  };
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t mantissa = digits();
  if (i < n && s[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == n;
}

}  // namespace

int RunsTable::column_index(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return static_cast<int>(i);
  return -1;
}

double RunsTable::number(size_t row, const std::string& column, bool positive_only) const {
  int c = column_index(column);
  if (c < 0) throw UsageError(source + ": missing column '" + column + "'");
  const std::string& cell = rows[row][static_cast<size_t>(c)];
  std::string where = located(source, lines[row], "row " + std::to_string(row + 1) + ", column '" + column + "': ");
  char* end = nullptr;
  double x = std::strtod(cell.c_str(), &end);
  if (!std::isfinite(x) && !cell.empty() && *end == '\0') throw UsageError(where + "not finite: '" + cell + "'");
  if (!is_decimal(cell)) throw UsageError(where + "not a number: '" + cell + "' (plain decimal, such as 1.5e9)");
  if (!std::isfinite(x)) throw UsageError(where + "not finite: '" + cell + "'");
  if (positive_only && x <= 0) throw UsageError(where + "must be positive, got " + cell);
  return x;
}

std::vector<double> RunsTable::numbers(const std::string& column, bool positive_only) const {
  std::vector<double> out;
  out.reserve(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) out.push_back(number(r, column, positive_only));
  return out;
}

RunsTable read_runs_csv(const std::string& path) {
  std::istringstream in(read_file(path, "cannot open runs table"));
  RunsTable t;
  t.source = path;
  std::string line;
  long number = 0;
  std::map<std::vector<std::string>, long> seen_rows;
  std::map<std::string, long> seen_dirs;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r") continue;
    auto cells = split_csv_line(line);
    if (t.columns.empty()) {
      for (size_t i = 0; i < cells.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (cells[i] == cells[j])
            throw UsageError(located(path, number, "column '" + cells[i] + "' appears twice in the header (columns " +
                                                       std::to_string(j + 1) + " and " + std::to_string(i + 1) + ")"));
      t.columns = cells;
      continue;
    }
    const int run_dir = t.column_index("run_dir");
    if (cells.size() != t.columns.size())
      throw UsageError(located(path, number, "has " + std::to_string(cells.size()) +
                                                 " cells, the header has " +
                                                 std::to_string(t.columns.size())));
    // The same run twice would count twice in every fit: the same cells, or the same run_dir.
    if (auto [it, fresh] = seen_rows.emplace(cells, number); !fresh)
      throw UsageError(located(path, number, "duplicates line " + std::to_string(it->second)));
    if (run_dir >= 0 && !cells[run_dir].empty())
      if (auto [it, fresh] = seen_dirs.emplace(cells[run_dir], number); !fresh)
        throw UsageError(located(path, number, "column 'run_dir': '" + cells[run_dir] + "' is also on line " +
                                                   std::to_string(it->second)));
    t.rows.push_back(std::move(cells));
    t.lines.push_back(number);
  }
  if (t.columns.empty()) throw UsageError(path + ": empty runs table (no header)");
  return t;
}

}  // namespace moelaw::analysis
