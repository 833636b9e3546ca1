#include "checkpoint/checkpoint_file.hpp"

#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <optional>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <tuple>

namespace moelaw::checkpoint {

namespace {

// HDF5 prints its own error stack by default; we report errors ourselves. And no clean-up at
// exit: a file whose write failed (disk full) stays half-open inside HDF5 1.10, and closing it
// again at exit crashes; the process exits with our error instead. (The first HDF5 call.)
struct SilenceHdf5 {
  SilenceHdf5() {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
};

// Closes an HDF5 handle when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  hid_t release() {
    hid_t id = id_;
    id_ = -1;
    return id;
  }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

uint32_t crc_of(const void* data, size_t bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (bytes > 0) {  // zlib takes uInt lengths
    uInt n = static_cast<uInt>(std::min<size_t>(bytes, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    bytes -= n;
  }
  return static_cast<uint32_t>(crc);
}

// The CRC-32 of a checkpoint's attributes, in a fixed order (the maps' key order) and layout
// (tag, key, NUL, value bytes), so that writer and reader compute it alike.
uint32_t attributes_crc(const CheckpointData& d) {
  std::string bytes = "config\0" + d.config_toml;
  auto add = [&](char tag, const std::string& key, const void* value, size_t size) {
    bytes += tag;
    bytes += key;
    bytes += '\0';
    bytes.append(static_cast<const char*>(value), size);
  };
  for (const auto& [k, v] : d.integers) add('i', k, &v, sizeof v);
  for (const auto& [k, v] : d.reals) add('r', k, &v, sizeof v);
  for (const auto& [k, v] : d.strings) {
    const uint64_t n = v.size();
    add('s', k, &n, sizeof n);
    bytes += v;
  }
  return crc_of(bytes.data(), bytes.size());
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

void write_attr_i64(hid_t obj, const char* name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, H5T_NATIVE_INT64, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  require(attr.ok() && H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) >= 0,
          std::string("writing attribute ") + name);
}

void write_attr_f64(hid_t obj, const char* name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  require(attr.ok() && H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &value) >= 0,
          std::string("writing attribute ") + name);
}

// Strings are variable-length UTF-8 so h5py reads them as str.
Handle string_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Handle(t, H5Tclose);
}

void write_attr_str(hid_t obj, const char* name, const std::string& value) {
  Handle type = string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  require(attr.ok() && H5Awrite(attr.get(), type.get(), &p) >= 0, std::string("writing attribute ") + name);
}

// Names of every dataset in the file, with their full paths (without the leading '/').
std::vector<std::string> dataset_names(hid_t file) {
  std::vector<std::string> names;
  auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* out) -> herr_t {
    if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(out)->push_back(name);
    return 0;
  };
  H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_NATIVE, visit, &names, H5O_INFO_BASIC);
  return names;
}

}  // namespace

CheckpointWriter::CheckpointWriter(const std::string& path, const std::string& config_toml)
    : path_(path), temporary_(temporary_path_for(path)) {
  static SilenceHdf5 silence;
  file_ = H5Fcreate(temporary_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) throw std::runtime_error("writing checkpoint " + path + " failed: cannot create " + temporary_);
  guarded("attributes", [&] {
    write_attr_i64(file_, "format_version", kFormatVersion);
    write_attr_str(file_, "config_toml", config_toml);
  });
  attributes_.config_toml = config_toml;
}

CheckpointWriter::~CheckpointWriter() {
  if (file_ >= 0) H5Fclose(file_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

// Runs one write; on failure the temporary is closed and removed, and the error names the file.
template <typename F>
void CheckpointWriter::guarded(const std::string& what, F&& write) {
  if (file_ < 0) throw std::runtime_error("writing checkpoint " + path_ + ": the writer has already failed");
  try {
    write();
  } catch (const std::exception& e) {
    H5Fclose(file_);
    file_ = -1;
    ::unlink(temporary_.c_str());
    throw std::runtime_error("writing checkpoint " + path_ + " failed: " + what + ": " + e.what());
  }
}

void CheckpointWriter::integer(const std::string& key, int64_t value) {
  guarded(key, [&] { write_attr_i64(file_, ("int:" + key).c_str(), value); });
  attributes_.integers[key] = value;
}

void CheckpointWriter::real(const std::string& key, double value) {
  guarded(key, [&] { write_attr_f64(file_, ("real:" + key).c_str(), value); });
  attributes_.reals[key] = value;
}

void CheckpointWriter::text(const std::string& key, const std::string& value) {
  guarded(key, [&] { write_attr_str(file_, ("str:" + key).c_str(), value); });
  attributes_.strings[key] = value;
}

template <typename T>
void CheckpointWriter::add_array(const std::string& name, const std::vector<int64_t>& shape, const T* data,
                                 int64_t mem_type) {
  guarded(name, [&] {
    size_t n = 1;
    for (auto d : shape) n *= static_cast<size_t>(d);
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    Handle set(H5Dcreate2(file_, name.c_str(), mem_type, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
               H5Dclose);
    require(set.ok(), "creating dataset " + name);
    require(n == 0 || H5Dwrite(set.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0,
            "writing dataset " + name);
    write_attr_i64(set.get(), "crc32", crc_of(data, n * sizeof(T)));
  });
}

void CheckpointWriter::add(const std::string& name, const std::vector<int64_t>& shape, const float* data) {
  add_array("f32/" + name, shape, data, H5T_NATIVE_FLOAT);
}
void CheckpointWriter::add(const std::string& name, const std::vector<int64_t>& shape, const double* data) {
  add_array("f64/" + name, shape, data, H5T_NATIVE_DOUBLE);
}
void CheckpointWriter::add(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data) {
  add_array("i64/" + name, shape, data, H5T_NATIVE_INT64);
}

void CheckpointWriter::commit() {
  guarded("attributes_crc32", [&] { write_attr_i64(file_, "attributes_crc32", attributes_crc(attributes_)); });
  guarded("closing", [&] {
    require(H5Fflush(file_, H5F_SCOPE_GLOBAL) >= 0, "flushing");
    const hid_t file = file_;
    file_ = -1;
    require(H5Fclose(file) >= 0, "closing");
  });
  const std::string temporary = temporary_;
  temporary_.clear();  // from here on, commit_temporary removes it on failure
  try {
    commit_temporary(temporary, path_);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("writing checkpoint: ") + e.what());
  }
}

void write_checkpoint(const std::string& path, const CheckpointData& data) {
  CheckpointWriter out(path, data.config_toml);
  for (const auto& [k, v] : data.integers) out.integer(k, v);
  for (const auto& [k, v] : data.reals) out.real(k, v);
  for (const auto& [k, v] : data.strings) out.text(k, v);
  auto add_all = [&](const auto& arrays) {
    for (const auto& [name, a] : arrays) {
      // An empty shape stands for one axis of the data's length.
      const auto shape = a.shape.empty() ? std::vector<int64_t>{static_cast<int64_t>(a.data.size())} : a.shape;
      int64_t n = 1;
      for (auto d : shape) n *= d;
      if (n != static_cast<int64_t>(a.data.size()))
        throw std::runtime_error("writing checkpoint " + path + ": array " + name + ": shape does not match its data");
      out.add(name, shape, a.data.data());
    }
  };
  add_all(data.floats);
  add_all(data.doubles);
  add_all(data.int64s);
  out.commit();
}

CheckpointReader::CheckpointReader(const std::string& path) : path_(path) {
  static SilenceHdf5 silence;
  auto corrupt = [&](const std::string& why) { return CorruptCheckpoint(path + ": " + why); };
  if (!std::filesystem::exists(path)) throw corrupt("no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw corrupt("not a readable HDF5 file (truncated?)");
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) throw corrupt("cannot open as HDF5 (truncated or corrupt)");
  try {
    bool have_version = false;
    int64_t version = -1;
    std::optional<int64_t> stored_crc;
    // Attributes of the root group: read each by name and type.
    auto on_attr = [](hid_t loc, const char* name, const H5A_info_t*, void* ctx) -> herr_t {
      auto& [o, ver, have, crc] =
          *static_cast<std::tuple<CheckpointData*, int64_t*, bool*, std::optional<int64_t>*>*>(ctx);
      Handle attr(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
      if (!attr.ok()) return -1;
      // Each is read into one value: an attribute of several would be written past it.
      Handle space(H5Aget_space(attr.get()), H5Sclose);
      if (!space.ok() || H5Sget_simple_extent_npoints(space.get()) != 1) return -1;
      std::string n = name;
      Handle type(H5Aget_type(attr.get()), H5Tclose);
      if (H5Tget_class(type.get()) == H5T_STRING) {
        Handle mem = string_type();
        char* p = nullptr;
        if (H5Aread(attr.get(), mem.get(), &p) < 0) return -1;
        std::string value = p ? p : "";
        H5free_memory(p);
        if (n == "config_toml") o->config_toml = value;
        else if (n.rfind("str:", 0) == 0) o->strings[n.substr(4)] = value;
      } else if (H5Tget_class(type.get()) == H5T_FLOAT) {
        double v = 0;
        if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v) < 0) return -1;
        if (n.rfind("real:", 0) == 0) o->reals[n.substr(5)] = v;
      } else {
        // Only plain integers of at most 64 bits whose bits lie inside them: HDF5 1.10 converts a
        // stored type whose precision and offset overrun its size by reading past the value.
        const size_t size = H5Tget_size(type.get());
        const size_t precision = H5Tget_precision(type.get());
        const int offset = H5Tget_offset(type.get());
        if (H5Tget_class(type.get()) != H5T_INTEGER || size == 0 || size > 8 || precision == 0 || offset < 0 ||
            precision + static_cast<size_t>(offset) > 8 * size)
          return -1;
        int64_t v = 0;
        if (H5Aread(attr.get(), H5T_NATIVE_INT64, &v) < 0) return -1;
        if (n == "format_version") { *ver = v; *have = true; }
        else if (n == "attributes_crc32") *crc = v;
        else if (n.rfind("int:", 0) == 0) o->integers[n.substr(4)] = v;
      }
      return 0;
    };
    std::tuple<CheckpointData*, int64_t*, bool*, std::optional<int64_t>*> ctx{&attributes_, &version, &have_version,
                                                                               &stored_crc};
    hsize_t idx = 0;
    if (H5Aiterate2(file_, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, on_attr, &ctx) < 0)
      throw corrupt("unreadable attributes");
    if (!have_version) throw corrupt("no format_version attribute: not a moelaw checkpoint");
    if (version < kOldestReadableVersion || version > kFormatVersion)
      throw corrupt("format version " + std::to_string(version) + ", this moelaw reads versions " +
                    std::to_string(kOldestReadableVersion) + " to " + std::to_string(kFormatVersion));
    if (version >= 2 && !stored_crc) throw corrupt("no attributes_crc32 attribute (format version 2)");
    if (stored_crc && static_cast<uint32_t>(*stored_crc) != attributes_crc(attributes_))
      throw corrupt("the attributes (configuration, step, tokens, data position, ...) fail their checksum: edited or damaged");
    for (const auto& name : dataset_names(file_)) {
      if (name.rfind("f32/", 0) == 0) names_[0].push_back(name.substr(4));
      else if (name.rfind("f64/", 0) == 0) names_[1].push_back(name.substr(4));
      else if (name.rfind("i64/", 0) == 0) names_[2].push_back(name.substr(4));
      else throw corrupt("unexpected dataset " + name);
    }
  } catch (...) {
    H5Fclose(file_);
    throw;
  }
}

CheckpointReader::~CheckpointReader() {
  if (file_ >= 0) H5Fclose(file_);
}

bool CheckpointReader::has_floats(const std::string& name) const {
  return std::find(names_[0].begin(), names_[0].end(), name) != names_[0].end();
}

template <typename T>
Array<T> CheckpointReader::read(const std::string& name, int64_t mem_type) const {
  auto corrupt = [&](const std::string& why) { return CorruptCheckpoint(path_ + ": " + why); };
  Handle set(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!set.ok()) throw corrupt("no dataset " + name);
  Handle space(H5Dget_space(set.get()), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(std::max(rank, 0));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Array<T> array;
  size_t n = 1;
  for (auto d : dims) {
    n *= d;
    array.shape.push_back(static_cast<int64_t>(d));
  }
  int64_t stored_crc = -1;
  {
    Handle attr(H5Aopen(set.get(), "crc32", H5P_DEFAULT), H5Aclose);
    if (!attr.ok() || H5Aread(attr.get(), H5T_NATIVE_INT64, &stored_crc) < 0)
      throw corrupt("dataset " + name + " has no checksum");
  }
  // Arrays are stored uncompressed, so none holds more bytes than the file: a larger shape is a
  // corrupt header, not a reason to allocate it.
  std::error_code ec;
  if (rank < 0 || n > std::filesystem::file_size(path_, ec) / sizeof(T))
    throw corrupt("dataset " + name + " declares more values than the file holds");
  array.data.resize(n);
  if (n > 0 && H5Dread(set.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, array.data.data()) < 0)
    throw corrupt("cannot read dataset " + name + " (truncated?)");
  if (crc_of(array.data.data(), n * sizeof(T)) != static_cast<uint32_t>(stored_crc))
    throw corrupt("checksum mismatch in dataset " + name);
  return array;
}

Array<float> CheckpointReader::floats(const std::string& name) const {
  return read<float>("f32/" + name, H5T_NATIVE_FLOAT);
}
Array<double> CheckpointReader::doubles(const std::string& name) const {
  return read<double>("f64/" + name, H5T_NATIVE_DOUBLE);
}
Array<int64_t> CheckpointReader::int64s(const std::string& name) const {
  return read<int64_t>("i64/" + name, H5T_NATIVE_INT64);
}

CheckpointData read_checkpoint(const std::string& path) {
  CheckpointReader in(path);
  CheckpointData out = in.attributes();
  for (const auto& name : in.float_names()) out.floats[name] = in.floats(name);
  for (const auto& name : in.double_names()) out.doubles[name] = in.doubles(name);
  for (const auto& name : in.int64_names()) out.int64s[name] = in.int64s(name);
  return out;
}

}  // namespace moelaw::checkpoint
