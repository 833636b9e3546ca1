// Checkpoints crafted with the HDF5 C library to lie about their own layout (what the fuzzer's
// mutations of a valid file can produce): an attribute holding several values where one is
// read, and a dataset whose declared shape is far larger than the file. Each must be a
// CorruptCheckpoint naming the file, not a write past a variable or a huge allocation.
#include <boost/test/unit_test.hpp>

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "checkpoint/checkpoint_file.hpp"
#include "support/tiny_run.hpp"

BOOST_AUTO_TEST_SUITE(test_checkpoint_hostile)

using moelaw::checkpoint::CorruptCheckpoint;
using moelaw::testing::TempDir;

namespace {

void int64_attribute(hid_t file, const char* name, const std::vector<int64_t>& values) {
  hsize_t n = values.size();
  hid_t space = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
  hid_t attr = H5Acreate2(file, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  BOOST_REQUIRE(H5Awrite(attr, H5T_NATIVE_INT64, values.data()) >= 0);
  H5Aclose(attr);
  H5Sclose(space);
}

// A file with format_version = `version` (one value or several) and, if `rows` > 0, a dataset
// f32/w of rows x 1024 floats that is declared but never written (HDF5 stores no data for it).
std::string craft(const TempDir& dir, const std::vector<int64_t>& version, hsize_t rows) {
  std::string path = dir / "crafted.h5";
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  BOOST_REQUIRE(file >= 0);
  int64_attribute(file, "format_version", version);
  if (rows > 0) {
    hid_t group = H5Gcreate2(file, "f32", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {rows, 1024};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t set = H5Dcreate2(group, "w", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int64_attribute(set, "crc32", {0});
    H5Dclose(set);
    H5Sclose(space);
    H5Gclose(group);
  }
  H5Fclose(file);
  return path;
}

bool names_the_file(const CorruptCheckpoint& e, const std::string& path, const std::string& why) {
  std::string m = e.what();
  BOOST_TEST_MESSAGE(m);
  return m.find(path) != std::string::npos && m.find(why) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_crafted_file_is_otherwise_readable) {
  // The reference: with one value and no dataset the same file is a valid (empty) checkpoint.
  TempDir dir;
  auto d = moelaw::checkpoint::read_checkpoint(craft(dir, {1}, 0));
  BOOST_TEST(d.floats.empty());
}

BOOST_AUTO_TEST_CASE(an_attribute_of_several_values_is_corrupt) {
  TempDir dir;
  std::string path = craft(dir, {1, 2, 3, 4, 5, 6, 7, 8}, 0);
  BOOST_CHECK_EXCEPTION(moelaw::checkpoint::read_checkpoint(path), CorruptCheckpoint,
                        [&](const CorruptCheckpoint& e) { return names_the_file(e, path, "unreadable attributes"); });
}

BOOST_AUTO_TEST_CASE(a_shape_larger_than_the_file_is_corrupt) {
  // 2^30 x 1024 floats would be 4 TiB; the file is a few kilobytes.
  TempDir dir;
  std::string path = craft(dir, {1}, hsize_t{1} << 30);
  BOOST_TEST(std::filesystem::file_size(path) < 100000u);
  BOOST_CHECK_EXCEPTION(moelaw::checkpoint::read_checkpoint(path), CorruptCheckpoint, [&](const CorruptCheckpoint& e) {
    return names_the_file(e, path, "dataset f32/w declares more values than the file holds");
  });
}

BOOST_AUTO_TEST_SUITE_END()
