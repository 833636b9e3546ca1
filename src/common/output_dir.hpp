#pragma once
// Output directories given on the command line (--out): created with their parents; a path that
// names a file, or one that cannot be created, is a UsageError naming it, before any work is done.
#include <string>

namespace moelaw {

// `what` names the directory in messages ("--out directory", "run directory (--out)").
void create_output_directory(const std::string& path, const std::string& what);

}  // namespace moelaw
