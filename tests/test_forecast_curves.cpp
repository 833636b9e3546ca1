// `moelaw forecast` on real curves: Luo et al.'s protocol on their published 25M-parameter curves
// (../shared/data/loss-curves: fit on cosine_24000, constant_24000, wsdcon_9; predict the six
// others from their schedules), errors computed here from the --json output and held to the
// paper's figures; the interchange CSV read as its README says; bad curves exit 2 naming the file
// and row, and leave an existing model file alone.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "analysis/loss_curve.hpp"
#include "support/run_command.hpp"
#include "support/tiny_run.hpp"

BOOST_AUTO_TEST_SUITE(test_forecast_curves)

using namespace moelaw::testing;
namespace fs = std::filesystem;

namespace {

const std::string kCurves = std::string(MOELAW_SHARED_DIR) + "/data/loss-curves/";

CommandResult forecast(const std::string& args) { return run_command(moelaw_command("forecast " + args)); }

std::string curves(std::initializer_list<const char*> names) {
  std::string s;
  for (const char* n : names) s += " '" + kCurves + n + ".csv'";
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(published_protocol_on_the_25m_curves) {
  TempDir dir;
  const std::string model = dir / "model.json";
  auto r = forecast("fit" + curves({"cosine_24000", "constant_24000", "wsdcon_9"}) + " --out " + model + " --plots " +
                    (dir / "plots"));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  BOOST_TEST(r.out.find("multi-power law fitted to 3 curves") != std::string::npos, r.out);
  BOOST_TEST(fs::exists(dir / "plots/forecast_1_cosine_24000.gp"));

  r = forecast("predict " + model +
               curves({"constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18"}) +
               " --json");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  BOOST_REQUIRE(j["curves"].size() == 6u);
  double mean = 0, worst = 0;
  for (const auto& c : j["curves"]) {
    // Every observed step is there; the errors are over those after the 2,160-step warm-up.
    auto steps = c["steps"].get<std::vector<long>>();
    const auto& observed = c["observed"];
    const auto& predicted = c["predicted"];
    BOOST_REQUIRE(steps.size() == predicted.size());
    double sum = 0, max = 0;
    size_t n = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (observed[i].is_null() || steps[i] < 2160) continue;
      double o = observed[i], p = predicted[i];
      double e = std::abs(p - o) / o;
      sum += e, max = std::max(max, e), ++n;
    }
    BOOST_TEST(n > 90u);
    mean += sum / n / 6, worst += max / 6;
    BOOST_TEST_MESSAGE(c["source"].get<std::string>() << ": mean " << sum / n << ", worst " << max);
  }
  BOOST_TEST_MESSAGE("mean relative error " << mean << ", mean worst " << worst << " (published 0.00110, 0.00409)");
  BOOST_TEST(mean < 1.5 * 0.00110);
  BOOST_TEST(worst < 1.5 * 0.00409);
}

BOOST_AUTO_TEST_CASE(csv_lr_is_linear_between_rows) {
  TempDir dir;
  std::ofstream(dir / "c.csv") << "step,lr,loss\r\n0,0,\r\n4,0.4,5.0\r\n6,0.1,4.5\r\n8,0.1,\r\n";
  auto c = moelaw::analysis::read_curve_csv(dir / "c.csv");
  const std::vector<double> lr = {0, 0.1, 0.2, 0.3, 0.4, 0.25, 0.1, 0.1, 0.1};
  BOOST_REQUIRE(c.lr.size() == lr.size());
  for (size_t s = 0; s < lr.size(); ++s) BOOST_TEST(c.lr[s] == lr[s], boost::test_tools::tolerance(1e-15));
  BOOST_TEST((c.steps == std::vector<long>{4, 6}));
  BOOST_TEST((c.losses == std::vector<double>{5.0, 4.5}));
}

BOOST_AUTO_TEST_CASE(bad_curves_exit_2_with_file_and_row) {
  TempDir dir;
  const std::string model = dir / "model.json";
  std::ofstream(model) << "{\"keep\": true}\n";
  struct Case {
    const char* name;
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"unsorted.csv", "step,lr,loss\n0,0,\n10,0.1,5\n5,0.1,4\n", "unsorted.csv:4: row 4: step 5 is not after the previous row's step 10"},
      {"negative.csv", "step,lr,loss\n0,0,\n10,-0.1,5\n", "negative.csv:3: row 3: negative learning rate -0.1"},
      {"nolosses.csv", "step,lr,loss\n0,0,\n10,0.1,\n", "nolosses.csv: no losses"},
      {"header.csv", "step,loss\n0,5\n", "header.csv:1: header is 'step,loss'"},
      {"fields.csv", "step,lr,loss\n0,0.1\n", "fields.csv:2: row 2: expected 3 fields"},
      {"badloss.csv", "step,lr,loss\n0,0.1,x\n", "badloss.csv:2: row 2: loss 'x' is not a positive number"},
  };
  for (const auto& c : cases) {
    std::ofstream(dir / c.name) << c.text;
    auto r = forecast("fit '" + (dir / c.name) + "' --out " + model);
    BOOST_TEST(r.status == 2, c.name);
    BOOST_TEST(r.err.find(c.expect) != std::string::npos, c.name << ": " << r.err);
    r = forecast("predict '" + kCurves + "../missing-model.json' '" + (dir / c.name) + "'");
    BOOST_TEST(r.status == 2, c.name);
  }
  BOOST_TEST(slurp(model) == "{\"keep\": true}\n");  // nothing on disk lost
  auto r = forecast("predict " + model + curves({"wsdcon_3"}));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("model.json: not a forecast model") != std::string::npos, r.err);
  BOOST_TEST(forecast("fit" + curves({"wsdcon_3"})).status == 2);  // no --out
  BOOST_TEST(forecast("guess" + curves({"wsdcon_3"})).status == 2);
}

BOOST_AUTO_TEST_SUITE_END()
