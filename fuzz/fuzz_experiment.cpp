// The experiment (grid) loader on arbitrary text: a UsageError or an experiment.
#include <cstdint>

#include "common/errors.hpp"
#include "fuzz_input_file.hpp"
#include "launcher/experiment.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = moelaw::fuzz::input_file(data, size, ".toml");
  try {
    moelaw::launcher::load_experiment(path);
  } catch (const moelaw::UsageError&) {
  }
  return 0;
}
