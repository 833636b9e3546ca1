#include "common/output_dir.hpp"

#include <filesystem>
#include <system_error>

#include "common/errors.hpp"

namespace moelaw {

void create_output_directory(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    throw UsageError(path + ": " + what + " names a file, not a directory");
  fs::create_directories(path, ec);
  if (ec) throw UsageError(path + ": cannot create the " + what + ": " + ec.message());
}

}  // namespace moelaw
