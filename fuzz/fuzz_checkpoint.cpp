// The checkpoint reader (HDF5 from bytes, written to a file) on arbitrary input: every failure
// a CorruptCheckpoint naming the file, and what is read back holds each array's declared shape.
#include <cstdint>

#include "checkpoint/checkpoint_file.hpp"
#include "fuzz_input_file.hpp"

namespace {
template <typename T>
void check_shapes(const std::map<std::string, moelaw::checkpoint::Array<T>>& arrays) {
  for (const auto& [name, a] : arrays) {
    int64_t n = 1;
    for (int64_t d : a.shape) n *= d;
    if (n != static_cast<int64_t>(a.data.size())) __builtin_trap();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = moelaw::fuzz::input_file(data, size, ".h5");
  try {
    auto d = moelaw::checkpoint::read_checkpoint(path);
    check_shapes(d.floats);
    check_shapes(d.doubles);
    check_shapes(d.int64s);
  } catch (const moelaw::checkpoint::CorruptCheckpoint&) {
  }
  return 0;
}
