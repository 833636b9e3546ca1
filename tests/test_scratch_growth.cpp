// The one scratch buffer (DeviceArray::grow, TensorArray::grow in backend/device_memory.hpp), in
// the CPU backend's memory: a request it can serve keeps the same buffer (no allocation, which on
// a GPU would synchronise the device), a larger one reallocates to exactly what was asked.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "backend/backend.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_scratch_growth)

using moelaw::backend::DeviceArray;
using moelaw::backend::DType;
using moelaw::backend::TensorArray;

BOOST_AUTO_TEST_CASE(grows_only_when_too_small) {
  auto& cpu = moelaw::testing::cpu_backend<float>();
  DeviceArray<float> a;
  BOOST_TEST(a.grow(cpu, 0) == nullptr);  // nothing asked, nothing allocated
  float* first = a.grow(cpu, 100);
  BOOST_REQUIRE(first != nullptr);
  BOOST_TEST(a.size() == 100u);
  BOOST_TEST(a.grow(cpu, 100) == first);
  BOOST_TEST(a.grow(cpu, 7) == first);  // smaller: the same buffer, its size kept
  BOOST_TEST(a.size() == 100u);
  float* second = a.grow(cpu, 101);
  BOOST_TEST(a.size() == 101u);
  BOOST_TEST(a.data() == second);
  // The grown buffer is usable memory of the backend: a round trip through it.
  std::vector<float> in(101), out(101);
  for (size_t i = 0; i < in.size(); ++i) in[i] = float(i) * 0.5f;
  a.upload(in.data(), in.size());
  a.download(out.data(), out.size());
  BOOST_TEST(out == in);
}

BOOST_AUTO_TEST_CASE(typed_arrays_grow_by_bytes) {
  auto& cpu = moelaw::testing::cpu_backend<float>();
  TensorArray t;
  t.grow(cpu, DType::f32, 6);  // 24 bytes
  BOOST_TEST((t.dtype() == DType::f32));
  BOOST_TEST(t.size() == 6u);
  const void* bytes = t.out().raw();
  t.grow(cpu, DType::bf16, 10);  // 20 bytes fit in the 24 held: same memory, 12 bf16 elements
  BOOST_TEST((t.dtype() == DType::bf16));
  BOOST_TEST(t.size() == 12u);
  BOOST_TEST(t.out().raw() == bytes);
  BOOST_TEST(t.out().count() == 12);
  t.grow(cpu, DType::f32, 7);  // 28 bytes: reallocated
  BOOST_TEST(t.size() == 7u);
  BOOST_TEST((t.dtype() == DType::f32));
}

BOOST_AUTO_TEST_SUITE_END()
