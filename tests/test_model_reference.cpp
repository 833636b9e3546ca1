// The C++ model against an independent PyTorch implementation of the same architecture
// (tests/tools/make_model_fixture.py wrote the committed fixture; CI needs no PyTorch).
// Same weights (loaded by tensor name), same tokens: the loss and selected gradient entries
// must match.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backend/backend.hpp"
#include "model/transformer.hpp"

BOOST_AUTO_TEST_SUITE(test_model_reference)

using moelaw::model::ModelDims;
using moelaw::model::Transformer;

namespace {

const nlohmann::json& fixture() {
  static const nlohmann::json j = [] {
    std::ifstream in(MOELAW_SOURCE_DIR "/tests/fixtures/model_reference.json");
    BOOST_REQUIRE_MESSAGE(in, "cannot open tests/fixtures/model_reference.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}

ModelDims fixture_dims() {
  const auto& d = fixture()["dims"];
  return {d["d_model"], d["n_blocks"], d["n_heads"], d["head_dim"], d["vocab_size"], d["seq_len"]};
}

// The fixture's weights placed by name into the model's layout; every tensor must be present
// with the model's size, and the fixture may hold no tensor the model lacks.
template <typename T>
std::vector<T> fixture_parameters(const moelaw::model::ParameterTable& table) {
  const auto& weights = fixture()["weights"];
  const double denominator = fixture()["weight_denominator"];
  BOOST_REQUIRE_EQUAL(weights.size(), table.tensors().size());
  std::vector<T> host(table.total());
  for (const auto& t : table.tensors()) {
    BOOST_REQUIRE_MESSAGE(weights.contains(t.name), "fixture lacks " << t.name);
    const auto& values = weights[t.name];
    BOOST_REQUIRE_EQUAL(int64_t(values.size()), t.size);
    for (int64_t i = 0; i < t.size; ++i) host[t.offset + i] = T(values[i].get<int64_t>() / denominator);
  }
  return host;
}

// Loss and the fixture's gradient entries; |error| ≤ rtol·|reference| + atol_fraction·(largest
// |reference gradient|), the second term for entries near zero.
template <typename T>
void check_against_fixture(double loss_rtol, double grad_rtol, double grad_atol_fraction) {
  const ModelDims dims = fixture_dims();
  BOOST_REQUIRE(double(fixture()["norm_eps"]) == moelaw::model::kNormEps);
  BOOST_REQUIRE(double(fixture()["rope_theta"]) == moelaw::model::kRopeTheta);
  const int64_t B = fixture()["batch"];
  const auto tokens = fixture()["tokens"].get<std::vector<int32_t>>();
  const auto targets = fixture()["targets"].get<std::vector<int32_t>>();
  auto backend = moelaw::backend::make_cpu_backend<T>();
  Transformer<T> model(*backend, dims, B);
  model.set_parameters(fixture_parameters<T>(model.table()));
  model.zero_grad();
  const double loss = model.forward_backward(tokens.data(), targets.data(), B, dims.seq_len).mean();
  const double ref_loss = fixture()["loss"];
  BOOST_TEST_MESSAGE("loss " << loss << " reference " << ref_loss << " relative error "
                             << std::abs(loss - ref_loss) / ref_loss);
  BOOST_TEST(std::abs(loss - ref_loss) <= loss_rtol * ref_loss);

  const auto grads = model.gradients();
  double largest = 0;
  for (const auto& g : fixture()["gradients"]) largest = std::max(largest, std::abs(double(g["value"])));
  double worst = 0;
  for (const auto& g : fixture()["gradients"]) {
    const auto& t = model.table().at(g["tensor"]);
    const int64_t index = g["index"];
    const double ref = g["value"], got = grads[t.offset + index];
    const double bound = grad_rtol * std::abs(ref) + grad_atol_fraction * largest;
    worst = std::max(worst, std::abs(got - ref) / bound);
    BOOST_TEST(std::abs(got - ref) <= bound,
               t.name << "[" << index << "]: " << got << " vs reference " << ref);
  }
  BOOST_TEST_MESSAGE(fixture()["gradients"].size() << " gradient entries, worst error/bound " << worst);
}

}  // namespace

BOOST_AUTO_TEST_CASE(double_model_matches_pytorch) {
  // Both sides compute in float64 with different operation orders: agreement to ~1e-12.
  check_against_fixture<double>(1e-10, 1e-8, 1e-10);
}

BOOST_AUTO_TEST_CASE(float_model_matches_pytorch) {
  // fp32 (6e-8 resolution) through ~30 operations: loss within 1e-5 relative, gradients within
  // 1e-5 relative plus 1e-5 of the largest gradient entry (for entries near zero).
  check_against_fixture<float>(1e-5, 1e-5, 1e-5);
}

BOOST_AUTO_TEST_SUITE_END()
