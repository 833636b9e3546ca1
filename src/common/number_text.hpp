#pragma once
// A double as text that reads back as the same double (17 significant digits), for files other
// programs or moelaw itself parse again: grids, runs tables, configuration overrides.
#include <cstdio>
#include <string>

namespace moelaw {

inline std::string exact_text(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

}  // namespace moelaw
