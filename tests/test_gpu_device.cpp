// The CUDA build sees the GPU it will train on; skipped cleanly on machines without one.
#include <boost/test/unit_test.hpp>

#include "support/gpu.hpp"

BOOST_AUTO_TEST_SUITE(test_gpu_device)

BOOST_AUTO_TEST_CASE(device_is_visible, *boost::unit_test::precondition(moelaw::testing::GpuAvailable())) {
  auto info = moelaw::cuda::query_devices();
  BOOST_TEST(info.count >= 1);
  BOOST_TEST(!info.reason.empty());  // the device name
}

BOOST_AUTO_TEST_SUITE_END()
