// The experts module (moe/experts.hpp): a grouped SwiGLU, against a plain-loop evaluation of each
// group's W_down·(silu(W_gate·x) ⊙ W_up·x) written here, and its backward against central finite
// differences (double, CPU reference), with empty groups and the dense feed-forward's one group.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gradient_check.hpp"
#include "moe/experts.hpp"
#include "support/shared_instances.hpp"
#include "support/swiglu_reference.hpp"

BOOST_AUTO_TEST_SUITE(test_experts)

using moelaw::testing::compare;
using moelaw::testing::random_vector;
using Vec = std::vector<double>;

namespace {

constexpr int64_t d = 5, H = 7;

struct Weights {
  Vec gate, up, down;
  explicit Weights(int64_t groups, uint64_t seed)
      : gate(random_vector(size_t(groups * H * d), seed)), up(random_vector(size_t(groups * H * d), seed + 1)),
        down(random_vector(size_t(groups * d * H), seed + 2)) {}
  moelaw::moe::SwigluWeights<double> view() { return {gate.data(), up.data(), down.data()}; }
};

// Row by row, group by group, each row through its group's expert in plain loops.
Vec reference(const Vec& x, const Weights& w, const std::vector<int64_t>& rows) {
  Vec out(x.size() / d * d, 0.0);
  int64_t row = 0;
  for (size_t g = 0; g < rows.size(); ++g)
    for (int64_t r = 0; r < rows[g]; ++r, ++row) {
      const Vec y = moelaw::testing::swiglu_row(x.data() + row * d, w.gate, w.up, w.down, int64_t(g), d, H);
      std::copy(y.begin(), y.end(), out.begin() + row * d);
    }
  return out;
}

void check(const std::vector<int64_t>& rows) {
  auto& be = moelaw::testing::cpu_backend<double>();
  int64_t M = 0;
  for (int64_t r : rows) M += r;
  const auto groups = int64_t(rows.size());
  Vec x = random_vector(size_t(M * d), 11);
  Weights w(groups, 12);
  moelaw::moe::GroupedSwiglu<double> experts(be, d, H);
  Vec out(size_t(M * d));
  experts.forward(out.data(), x.data(), w.view(), rows.data(), groups);
  const auto c = compare(reference(x, w, rows), out, {1e-13, 1e-14});
  BOOST_TEST(c.ok, c.describe("forward"));

  // Backward of Σ R ⊙ out, added onto non-zero gradients.
  const Vec R = random_vector(out.size(), 13);
  Weights g(groups, 20);
  const Weights g0 = g;
  Vec dx = random_vector(x.size(), 14);
  const Vec dx0 = dx;
  experts.backward(dx.data(), g.view(), R.data(), w.view());
  auto loss = [&] { return moelaw::testing::dot(R, reference(x, w, rows)); };
  auto expect = [&](Vec& value, const Vec& after, const Vec& before, const char* what) {
    Vec added(after.size());
    for (size_t i = 0; i < added.size(); ++i) added[i] = after[i] - before[i];
    const auto cmp = compare(moelaw::testing::numeric_gradient<double>(loss, value, 1e-6), added, {1e-6, 1e-9});
    BOOST_TEST(cmp.ok, cmp.describe(what));
  };
  expect(x, dx, dx0, "d/dx");
  expect(w.gate, g.gate, g0.gate, "d/dW_gate");
  expect(w.up, g.up, g0.up, "d/dW_up");
  expect(w.down, g.down, g0.down, "d/dW_down");
}

}  // namespace

BOOST_AUTO_TEST_CASE(groups_with_an_empty_one) { check({3, 0, 4}); }

BOOST_AUTO_TEST_CASE(one_group_is_the_dense_feed_forward) { check({6}); }

BOOST_AUTO_TEST_SUITE_END()
