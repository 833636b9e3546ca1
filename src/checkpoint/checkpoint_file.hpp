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

// Version 2 adds attributes_crc32, a CRC-32 of every attribute (configuration, step, tokens, data
// position, ...), as each array has its own; version 1 files, without it, are still read.
constexpr int64_t kFormatVersion = 2;
constexpr int64_t kOldestReadableVersion = 1;

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

// Writes a checkpoint piece by piece, so that the caller never holds the whole file in memory
// (a model's tensors can be gathered and written one at a time). The file grows under a
// temporary name beside `path` and takes that name only in commit(); destroyed without commit(),
// the writer removes the temporary. Every method throws std::runtime_error naming `path` when the
// write fails (disk full, file too large); the file previously under `path`, if any, is untouched.
class CheckpointWriter {
 public:
  CheckpointWriter(const std::string& path, const std::string& config_toml);
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // File attributes, read back into CheckpointData's integers, reals and strings.
  void integer(const std::string& key, int64_t value);
  void real(const std::string& key, double value);
  void text(const std::string& key, const std::string& value);
  // One array of the shape's product values, read back into CheckpointData's floats, doubles or
  // int64s under `name`.
  void add(const std::string& name, const std::vector<int64_t>& shape, const float* data);
  void add(const std::string& name, const std::vector<int64_t>& shape, const double* data);
  void add(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data);
  void commit();

 private:
  template <typename T>
  void add_array(const std::string& name, const std::vector<int64_t>& shape, const T* data, int64_t mem_type);
  template <typename F>
  void guarded(const std::string& what, F&& write);
  std::string path_, temporary_;
  int64_t file_ = -1;  // the open HDF5 file (hid_t)
  CheckpointData attributes_;  // what was written, for attributes_crc32
};

// The whole of `data` through a CheckpointWriter.
void write_checkpoint(const std::string& path, const CheckpointData& data);
// Reads a checkpoint array by array, so that the caller holds at most one whole array at a time
// (a rank that keeps only its experts' rows of each tensor). The constructor checks that the file
// is a moelaw checkpoint of this format version and reads its attributes; each array's checksum
// is checked as it is read. Every failure throws CorruptCheckpoint naming the file.
class CheckpointReader {
 public:
  explicit CheckpointReader(const std::string& path);
  ~CheckpointReader();
  CheckpointReader(const CheckpointReader&) = delete;
  CheckpointReader& operator=(const CheckpointReader&) = delete;

  // config_toml, integers, reals and strings; no arrays.
  const CheckpointData& attributes() const { return attributes_; }
  // The arrays' names, as CheckpointData's maps key them, by type.
  const std::vector<std::string>& float_names() const { return names_[0]; }
  const std::vector<std::string>& double_names() const { return names_[1]; }
  const std::vector<std::string>& int64_names() const { return names_[2]; }
  bool has_floats(const std::string& name) const;
  Array<float> floats(const std::string& name) const;
  Array<double> doubles(const std::string& name) const;
  Array<int64_t> int64s(const std::string& name) const;

 private:
  template <typename T>
  Array<T> read(const std::string& dataset, int64_t mem_type) const;
  std::string path_;
  int64_t file_ = -1;  // the open HDF5 file (hid_t)
  CheckpointData attributes_;
  std::vector<std::string> names_[3];
};

// The whole file through a CheckpointReader.
CheckpointData read_checkpoint(const std::string& path);

}  // namespace moelaw::checkpoint
