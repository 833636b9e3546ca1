#pragma once
// Boost.Test precondition for GPU tests: skipped, with the reason, where no GPU can be used.
#include <boost/test/unit_test.hpp>

#include "device_info.hpp"

namespace moelaw::testing {

struct GpuAvailable {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    auto info = moelaw::cuda::query_devices();
    boost::test_tools::assertion_result r(info.count > 0);
    if (info.count == 0) r.message() << "no GPU here (" << info.reason << "): GPU test skipped";
    return r;
  }
};

}  // namespace moelaw::testing
