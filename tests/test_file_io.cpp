// Whole-file reads (common/file_io) and safe writes (common/atomic_file): what a reader gets for a
// missing file, a directory, an empty and a large file, and that a write that fails part way
// (file-size limit, read-only directory) leaves the old content and no temporary behind.
// Files are written and read back with iostreams (testing::slurp), not with the code under test.
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "support/run_command.hpp"

BOOST_AUTO_TEST_SUITE(test_file_io)

namespace fs = std::filesystem;
using moelaw::testing::slurp;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char t[] = "/tmp/moelaw-file-io-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void put(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// The UsageError's message, or "" when none was thrown.
template <typename F>
std::string usage_error(F&& f) {
  try {
    f();
  } catch (const moelaw::UsageError& e) {
    return e.what();
  }
  return "";
}

int regular_files_in(const fs::path& dir) {
  int n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(missing_file) {
  TempDir dir;
  const std::string path = dir / "nothing.toml";
  const std::string what = usage_error([&] { moelaw::read_file(path, "cannot open configuration file"); });
  BOOST_TEST(what.find(path + ": cannot open configuration file") == 0, what);
  BOOST_TEST(what.find("No such file or directory") != std::string::npos, what);
  BOOST_TEST(!moelaw::read_file_if_exists(path).has_value());
  // A path through a regular file (ENOTDIR) is as absent as a missing one.
  put(dir / "plain", "x");
  BOOST_TEST(!moelaw::read_file_if_exists(dir / "plain/summary.json").has_value());
}

BOOST_AUTO_TEST_CASE(directory_given) {
  TempDir dir;
  const std::string expected = dir.path.string() + ": is a directory, not a file";
  BOOST_TEST(usage_error([&] { moelaw::read_file(dir.path.string()); }) == expected);
  BOOST_TEST(usage_error([&] { moelaw::read_file_if_exists(dir.path.string()); }) == expected);
}

BOOST_AUTO_TEST_CASE(empty_file_is_present_and_empty) {
  TempDir dir;
  put(dir / "empty", "");
  BOOST_TEST(moelaw::read_file(dir / "empty").empty());
  auto text = moelaw::read_file_if_exists(dir / "empty");
  BOOST_REQUIRE(text.has_value());
  BOOST_TEST(text->empty());
}

BOOST_AUTO_TEST_CASE(large_binary_file_read_exactly) {
  TempDir dir;
  // 5 MiB + 3 bytes of random bytes, NULs and CRs included: more than one read() call, and a
  // size that no buffer size divides.
  std::mt19937 rng(17);
  std::string bytes(size_t(5 << 20) + 3, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  put(dir / "big.bin", bytes);
  BOOST_TEST(fs::file_size(dir / "big.bin") == bytes.size());
  const std::string back = moelaw::read_file(dir / "big.bin");
  BOOST_TEST(back.size() == bytes.size());
  BOOST_TEST((back == bytes));
}

BOOST_AUTO_TEST_CASE(file_whose_size_is_unknown) {
  // /proc files report a size of 0 but have content: the size is only a hint.
  const std::string status = moelaw::read_file("/proc/self/status");
  BOOST_TEST(status.find("Pid:\t" + std::to_string(getpid()) + "\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(atomic_write_replaces_the_content) {
  TempDir dir;
  const std::string path = dir / "summary.json";
  moelaw::write_file_atomically(path, {"{\"a\": ", "1}\n"});
  BOOST_TEST(slurp(path) == "{\"a\": 1}\n");
  moelaw::write_file_atomically(path, {"second"});
  BOOST_TEST(slurp(path) == "second");
  BOOST_TEST(regular_files_in(dir.path) == 1);
}

BOOST_AUTO_TEST_CASE(write_if_changed_leaves_an_identical_file_alone) {
  TempDir dir;
  const std::string path = dir / "run.sh";
  BOOST_TEST(moelaw::write_file_atomically_if_changed(path, "echo 1\n"));
  const auto inode = [&] {
    struct stat st {};
    stat(path.c_str(), &st);
    return st.st_ino;
  };
  const auto first = inode();
  BOOST_TEST(!moelaw::write_file_atomically_if_changed(path, "echo 1\n"));
  BOOST_TEST(inode() == first);  // not even renamed over
  BOOST_TEST(moelaw::write_file_atomically_if_changed(path, "echo 2\n"));
  BOOST_TEST(slurp(path) == "echo 2\n");
}

BOOST_AUTO_TEST_CASE(failed_write_keeps_the_old_content) {
  TempDir dir;
  const std::string path = dir / "runs.csv";
  put(path, "old content\n");
  pid_t pid = fork();
  if (pid == 0) {
    // A file-size limit below the new content's size, as `ulimit -f` sets it: write() fails
    // with EFBIG part way (SIGXFSZ ignored).
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{16 * 1024, 16 * 1024};
    setrlimit(RLIMIT_FSIZE, &lim);
    try {
      moelaw::write_file_atomically(path, {std::string(1 << 20, 'n')});
    } catch (const std::runtime_error& e) {
      _exit(std::string(e.what()).find(path) != std::string::npos ? 3 : 4);  // 3: failed, naming the file
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 3);
  BOOST_TEST(slurp(path) == "old content\n");
  BOOST_TEST(regular_files_in(dir.path) == 1);  // the temporary was removed
}

BOOST_AUTO_TEST_CASE(write_into_a_directory_without_write_permission_fails_cleanly) {
  TempDir dir;
  const std::string path = dir / "plan.json";
  put(path, "old");
  // r-x for everyone; root ignores permissions, so as root the writer is a child running as
  // nobody (65534).
  fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(5);
    try {
      moelaw::write_file_atomically(path, {"new"});
    } catch (const std::runtime_error& e) {
      _exit(std::string(e.what()).find(dir.path.string()) != std::string::npos ? 3 : 4);  // names where
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  fs::permissions(dir.path, fs::perms::owner_all);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 3);
  BOOST_TEST(slurp(path) == "old");
  BOOST_TEST(regular_files_in(dir.path) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
