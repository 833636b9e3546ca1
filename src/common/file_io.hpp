#pragma once
// Reading a whole file, the one way every reader of a configuration, summary, table or vocabulary
// does it. Errors are UsageError (exit 2: the input is wrong) and name the file: "PATH: MESSAGE".
// Writing safely is common/atomic_file.hpp.
#include <optional>
#include <string>

namespace moelaw {

// The bytes of the file at `path`. Throws UsageError "PATH: <cannot_open> (<reason>)" when it
// cannot be opened (missing, not permitted), "PATH: is a directory, not a file" for a directory and
// "PATH: cannot read: <reason>" when reading fails part way.
std::string read_file(const std::string& path, const std::string& cannot_open = "cannot open");

// As read_file, but nothing when no file is at `path` (a record not written yet); a file that is
// there but cannot be read still throws.
std::optional<std::string> read_file_if_exists(const std::string& path);

}  // namespace moelaw
