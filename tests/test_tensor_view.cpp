// The op seam's tensor views (backend/tensor.hpp): they carry their element type, step by whole
// elements of it, and an op refuses a type it does not take instead of reading its bits as another.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "backend/backend.hpp"
#include "support/shared_instances.hpp"

BOOST_AUTO_TEST_SUITE(test_tensor_view)

using moelaw::backend::bf16;
using moelaw::backend::DType;
using moelaw::backend::In;
using moelaw::backend::Out;
using moelaw::backend::TensorArray;

BOOST_AUTO_TEST_CASE(views_know_their_element_type_and_step_by_it) {
  std::vector<bf16> h(8);
  std::vector<double> d(8);
  const In a(h.data(), 8);
  BOOST_TEST((a.dtype() == DType::bf16));
  BOOST_TEST(a.at(3).raw() == static_cast<const void*>(h.data() + 3));
  BOOST_TEST(a.at(3).count() == 5);
  const Out b(d.data());
  BOOST_TEST((b.dtype() == DType::f64));
  BOOST_TEST(b.at(5).as<double>() == d.data() + 5);
  BOOST_TEST(b.count() == -1);  // a bare pointer: the op's shapes give the extent
  BOOST_CHECK_THROW(a.as<float>(), std::invalid_argument);
  BOOST_TEST(!In(nullptr));
  BOOST_TEST(In(nullptr).at(4).raw() == nullptr);  // a gradient not wanted stays not wanted
}

BOOST_AUTO_TEST_CASE(the_reference_keeps_activations_in_its_own_type_and_refuses_others) {
  auto& cpu = moelaw::testing::cpu_backend<float>();
  BOOST_TEST((cpu.activation_type() == DType::f32));
  BOOST_TEST((moelaw::testing::cpu_backend<double>().activation_type() == DType::f64));
  TensorArray h(cpu, DType::bf16, 6);
  std::vector<float> gate(6, 1.0f), up(6, 2.0f), out(6, 0.0f);
  BOOST_CHECK_THROW(cpu.swiglu_forward(h.out(), gate.data(), up.data(), 2, 3), std::invalid_argument);
  TensorArray h32(cpu, DType::f32, 6);
  cpu.swiglu_forward(h32.out(), gate.data(), up.data(), 2, 3);
  cpu.add_forward(out.data(), h32.in(), h32.in(), 6);
  BOOST_TEST(out[0] == float(2 * 2.0 / (1 + std::exp(-1.0))), boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_SUITE_END()
