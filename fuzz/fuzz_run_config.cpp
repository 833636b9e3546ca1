// The run configuration loader (strict TOML through toml++, then the schema and the cross-key
// checks) on arbitrary text: a UsageError or a configuration, never a crash or another exception.
#include <cstdint>
#include <string>

#include "common/errors.hpp"
#include "config/loader.hpp"
#include "config/run_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto config = moelaw::config::to_run_config(moelaw::config::load(moelaw::config::run_schema(), text, "fuzz.toml", {}));
    // What was accepted must print and read back to the same configuration.
    auto again = moelaw::config::to_run_config(
        moelaw::config::load(moelaw::config::run_schema(), config.resolved_toml, "resolved.toml", {}));
    if (again.resolved_toml != config.resolved_toml) __builtin_trap();
  } catch (const moelaw::UsageError&) {
  }
  return 0;
}
