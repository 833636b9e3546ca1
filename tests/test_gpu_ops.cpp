// Every case of the op table (tests/support/op_table.hpp) on the CUDA backend against the CPU
// reference, with the same inputs: outputs, integer outputs, returned sums, and gradients
// accumulated onto non-zero buffers (the contract is +=). Both backends compute in fp32; they
// differ in summation order only (cuBLAS blocking, block reductions), so each tensor's tolerance is
// a few units of fp32 rounding scaled by its reduction length (the table's `gpu` bounds: 1e-5 +
// 2e-4·|cpu| for products and reductions over up to 1,000 terms, 1e-6 relative for element-wise
// operations, exact for copies). Integers must be identical. Skipped where no GPU can be used; the
// table's coverage of the op contract is checked everywhere.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "cuda_backend.hpp"
#include "support/backend_pair.hpp"
#include "support/gpu.hpp"
#include "support/op_table.hpp"

BOOST_AUTO_TEST_SUITE(test_gpu_ops)

namespace {

using moelaw::testing::OpBuffers;
using moelaw::testing::OpCase;
using moelaw::testing::RealSpec;
using moelaw::testing::Tolerance;

void expect_close(const std::vector<double>& cpu, const std::vector<double>& gpu, const std::string& what,
                  Tolerance tol) {
  BOOST_TEST_REQUIRE(cpu.size() == gpu.size());
  const auto c = moelaw::testing::compare(cpu, gpu, tol);
  BOOST_TEST(c.ok, c.describe(what));
}

void compare_case(const OpCase<float>& c) {
  moelaw::testing::BackendPair p;
  auto on_cpu = moelaw::testing::make_buffers(*p.cpu, c), on_gpu = moelaw::testing::make_buffers(*p.gpu, c);
  c.forward(*p.cpu, on_cpu);
  c.forward(*p.gpu, on_gpu);
  using moelaw::testing::download;
  for (const auto& s : c.reals)
    if (s.role == RealSpec::output)
      expect_close(download(on_cpu.real_.at(s.name)), download(on_gpu.real_.at(s.name)), c.name + " " + s.name, s.gpu);
  for (const auto& s : c.ints)
    if (s.output) {
      const auto a = s.wide ? download(on_cpu.i64_.at(s.name)) : download(on_cpu.i32_.at(s.name));
      const auto b = s.wide ? download(on_gpu.i64_.at(s.name)) : download(on_gpu.i32_.at(s.name));
      BOOST_TEST(a == b, c.name << " " << s.name << ": integers differ");
    }
  for (const auto& [name, n] : c.f64_outputs)
    expect_close(download(on_cpu.f64_.at(name)), download(on_gpu.f64_.at(name)), c.name + " " + name,
                 {c.results_rtol, 0});
  expect_close(on_cpu.results, on_gpu.results, c.name + " results", {c.results_rtol, 0});
  if (!c.backward) return;
  c.backward(*p.cpu, on_cpu);
  c.backward(*p.gpu, on_gpu);
  for (const auto& s : c.reals)
    if (s.role == RealSpec::input && s.differentiable)
      expect_close(download(on_cpu.real_.at("d" + s.name)), download(on_gpu.real_.at("d" + s.name)),
                   c.name + " d" + s.name, s.gpu);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_op_of_the_contract_has_a_case) {
  const std::string missing = moelaw::testing::ops_without_a_case(moelaw::testing::op_cases<float>(moelaw::testing::gpu_dims()));
  BOOST_TEST(missing.empty(), "op families without a case in tests/support/op_table.hpp: " << missing);
}

BOOST_AUTO_TEST_SUITE(cuda_against_cpu, *boost::unit_test::precondition(moelaw::testing::GpuAvailable()))

BOOST_AUTO_TEST_CASE(every_case_of_the_op_table) {
  for (const auto& c : moelaw::testing::op_cases<float>(moelaw::testing::gpu_dims()))
    BOOST_TEST_CONTEXT(c.name) { compare_case(c); }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
