// The HDF5 checkpoint container: round trip, an independent reader (h5py), corruption and
// truncation detected, and a failed write (file-size limit) that leaves the old file intact.
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "checkpoint/checkpoint_file.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_checkpoint_file)

namespace fs = std::filesystem;
using namespace moelaw::checkpoint;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char t[] = "/tmp/moelaw-ckpt-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
};

CheckpointData sample(size_t n = 1000) {
  CheckpointData d;
  d.config_toml = "[model]\nd_model = 64\n";
  d.integers = {{"step", 120}, {"tokens_seen", 7864320}};
  d.reals = {{"peak_lr", 3e-3}};
  d.strings = {{"branched_from", "runs/trunk/checkpoints/step-00000100.h5"}};
  Array<float> w{{static_cast<int64_t>(n / 10), 10}, {}};
  for (size_t i = 0; i < n; ++i) w.data.push_back(0.001f * static_cast<float>(i) - 0.3f);
  d.floats["params/blocks.0.attn.wq"] = w;
  d.floats["adam_m/blocks.0.attn.wq"] = Array<float>{{3}, {1.5f, -2.5f, 1e-30f}};
  d.doubles["metrics/loss"] = Array<double>{{2}, {10.828313737302301, 3.25}};
  d.int64s["data_cursor"] = Array<int64_t>{{2, 3}, {1, 2, 3, 4, 5, 1LL << 40}};
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip) {
  TempDir dir;
  auto path = (dir.path / "step-00000120.h5").string();
  auto d = sample();
  write_checkpoint(path, d);
  auto r = read_checkpoint(path);
  BOOST_TEST(r.config_toml == d.config_toml);
  BOOST_TEST(r.integers == d.integers);
  BOOST_TEST(r.reals.at("peak_lr") == 3e-3);
  BOOST_TEST(r.strings == d.strings);
  BOOST_TEST(r.floats.size() == 2u);
  BOOST_TEST(r.floats.at("params/blocks.0.attn.wq").data == d.floats.at("params/blocks.0.attn.wq").data);
  BOOST_TEST((r.floats.at("params/blocks.0.attn.wq").shape == std::vector<int64_t>{100, 10}));
  BOOST_TEST(r.doubles.at("metrics/loss").data == d.doubles.at("metrics/loss").data);
  BOOST_TEST(r.int64s.at("data_cursor").data == d.int64s.at("data_cursor").data);
  // No temporary file is left beside it.
  int files = 0;
  for (auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
  BOOST_TEST(files == 1);
}

BOOST_AUTO_TEST_CASE(h5py_reads_it) {
  TempDir dir;
  auto path = (dir.path / "c.h5").string();
  write_checkpoint(path, sample());
  // An independent reader: h5py and zlib's crc32 in Debian's Python (not a pyenv one on PATH).
  std::string script =
      "import h5py, zlib, numpy as np\n"
      "f = h5py.File('" + path + "', 'r')\n"
      "w = f['f32/params/blocks.0.attn.wq']\n"
      "assert w.shape == (100, 10), w.shape\n"
      "assert abs(float(w[1, 2]) - (0.001 * 12 - 0.3)) < 1e-6\n"
      "assert zlib.crc32(np.ascontiguousarray(w[...]).tobytes()) == int(w.attrs['crc32'])\n"
      "assert int(f.attrs['format_version']) == 2\n"
      "assert int(f.attrs['int:step']) == 120\n"
      "cfg = f.attrs['config_toml']\n"
      "cfg = cfg.decode() if isinstance(cfg, bytes) else cfg\n"
      "assert 'd_model = 64' in cfg\n"
      "assert list(f['i64/data_cursor'][1]) == [4, 5, 1 << 40]\n"
      "print('ok')\n";
  std::ofstream(dir.path / "check.py") << script;
  auto r = moelaw::testing::run_command("/usr/bin/python3 " + (dir.path / "check.py").string());
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(r.out == "ok\n");
}

BOOST_AUTO_TEST_CASE(corruption_and_truncation_are_detected) {
  TempDir dir;
  auto path = (dir.path / "c.h5").string();
  write_checkpoint(path, sample(100000));
  auto size = fs::file_size(path);
  {
    // Flip one byte inside the big dataset (its data sits in the middle of the file).
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size / 2));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put(static_cast<char>(c ^ 0x5a));
  }
  BOOST_CHECK_EXCEPTION(read_checkpoint(path), CorruptCheckpoint, [](const CorruptCheckpoint& e) {
    return std::string(e.what()).find("checksum mismatch") != std::string::npos;
  });
  write_checkpoint(path, sample(100000));
  fs::resize_file(path, size / 3);
  BOOST_CHECK_THROW(read_checkpoint(path), CorruptCheckpoint);
  std::ofstream(path, std::ios::trunc) << "not hdf5";
  BOOST_CHECK_THROW(read_checkpoint(path), CorruptCheckpoint);
  BOOST_CHECK_THROW(read_checkpoint((dir.path / "missing.h5").string()), CorruptCheckpoint);
}

BOOST_AUTO_TEST_CASE(failed_write_keeps_the_previous_file) {
  TempDir dir;
  auto path = (dir.path / "c.h5").string();
  write_checkpoint(path, sample(100));
  auto before = moelaw::testing::slurp(path);
  pid_t pid = fork();
  if (pid == 0) {
    // A file-size limit far below the new checkpoint's size, as `ulimit -f` sets it.
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{64 * 1024, 64 * 1024};
    setrlimit(RLIMIT_FSIZE, &lim);
    try {
      write_checkpoint(path, sample(1'000'000));
    } catch (const std::exception&) {
      _exit(3);  // reported as an error, as it should be
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 3);
  BOOST_TEST(moelaw::testing::slurp(path) == before);
  BOOST_TEST(read_checkpoint(path).integers.at("step") == 120);
  int files = 0;
  for (auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
  BOOST_TEST(files == 1);  // the partial temporary file was removed
}

BOOST_AUTO_TEST_SUITE_END()
