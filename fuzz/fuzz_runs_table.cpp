// The runs-table CSV reader on arbitrary text, then every column read as numbers: UsageErrors
// naming the file, or finite numbers.
#include <cmath>
#include <cstdint>

#include "analysis/runs_table.hpp"
#include "common/errors.hpp"
#include "fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = moelaw::fuzz::input_file(data, size, ".csv");
  try {
    auto table = moelaw::analysis::read_runs_csv(path);
    for (const auto& column : table.columns) {
      try {
        for (double x : table.numbers(column, false))
          if (!std::isfinite(x)) __builtin_trap();
      } catch (const moelaw::UsageError&) {
      }
    }
  } catch (const moelaw::UsageError&) {
  }
  return 0;
}
