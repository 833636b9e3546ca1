// The one main() of every test program: Boost.Test's, with the master suite named after the
// program (test_train, test_fit_joint, ...). Kept out of the test files so that they all share one
// precompiled header (tests/CMakeLists.txt), which a per-file BOOST_TEST_MODULE would forbid.
#include <boost/test/unit_test.hpp>

#include <string>

namespace {

bool name_master_suite() {
  auto& master = boost::unit_test::framework::master_test_suite();
  if (master.argc > 0) {
    const std::string program = master.argv[0];
    master.p_name.value = program.substr(program.find_last_of('/') + 1);
  }
  return true;
}

}  // namespace

int main(int argc, char* argv[]) { return boost::unit_test::unit_test_main(&name_master_suite, argc, argv); }
