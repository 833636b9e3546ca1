#pragma once
// The checkpoint container (also used for metrics files): an HDF5 file of named arrays (each with a CRC-32 checksum), integer
// and string attributes, the format version and the resolved configuration as TOML text.
// Readable by h5dump and h5py. Written to a temporary name, synced, renamed, and the directory
// synced, so a crash at any instant leaves either the old file or the complete new one.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace moelaw::checkpoint {

constexpr int64_t kFormatVersion = 1;

template <typename T>
struct Array {
  std::vector<int64_t> shape;  // product == data.size()
  std::vector<T> data;
};

struct CheckpointData {
  std::string config_toml;
  std::map<std::string, int64_t> integers;      // step, tokens_seen, ... (file attributes)
  std::map<std::string, double> reals;          // e.g. the peak LR the run used
  std::map<std::string, std::string> strings;   // e.g. branched_from
  // Names may contain '/', which become HDF5 groups ("params/blocks.0.wq").
  std::map<std::string, Array<float>> floats;
  std::map<std::string, Array<double>> doubles; // metrics series
  std::map<std::string, Array<int64_t>> int64s; // data cursors, random states
};

// A file that is missing, truncated, not HDF5, of another format version, or whose checksums do
// not match. The message names the file and the problem.
class CorruptCheckpoint : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws std::runtime_error naming the path when the write fails (disk full, file too large);
// the file previously under `path`, if any, is untouched.
void write_checkpoint(const std::string& path, const CheckpointData& data);
CheckpointData read_checkpoint(const std::string& path);

}  // namespace moelaw::checkpoint
