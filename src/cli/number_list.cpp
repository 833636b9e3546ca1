#include "cli/number_list.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace moelaw::cli {

std::vector<double> number_list(const Args& args, const std::string& option, std::vector<double> fallback,
                                bool zero_allowed) {
  auto v = args.value(option);
  if (!v) return fallback;
  std::vector<double> out;
  std::stringstream s(*v);
  std::string item;
  while (std::getline(s, item, ',')) {
    char* end = nullptr;
    double x = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !(x > 0 || (zero_allowed && x == 0)) || !std::isfinite(x))
      args.fail(option + " expects " + (zero_allowed ? "non-negative" : "positive") +
                " numbers separated by commas, got '" + item + "'");
    out.push_back(x);
  }
  if (out.empty()) args.fail(option + " is empty");
  return out;
}

}  // namespace moelaw::cli
