#pragma once
// "1e19,1e20,..." option values: positive (or, when allowed, zero) finite numbers separated by
// commas; anything else is a usage error naming the option.
#include <string>
#include <vector>

#include "cli/args.hpp"

namespace moelaw::cli {

std::vector<double> number_list(const Args& args, const std::string& option, std::vector<double> fallback,
                                bool zero_allowed = false);

}  // namespace moelaw::cli
