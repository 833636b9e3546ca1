// A sequential study on real runs (the tiny test shape, local executor): train a seed grid,
// collect, advise on a larger grid, train what it chose (its --grid file, as `submit` takes it),
// collect again and advise again. Checks the loop's joints: collected run ids are the grid's
// candidates (left out once trained), the chosen runs are the ones that train, and the second
// round never proposes a run already trained.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "support/run_command.hpp"
#include "support/tiny_experiment.hpp"

BOOST_AUTO_TEST_SUITE(test_advise_rounds)

using namespace moelaw::testing;

namespace {

std::string models(const std::vector<std::pair<std::string, int>>& shapes, const std::string& tokens) {
  std::string out;
  for (const auto& [name, blocks] : shapes)
    out += "[[models]]\nname = \"" + name + "\"\nd_model = " + (name == "c" ? "48" : "32") + "\nn_blocks = " +
           std::to_string(blocks) + "\nlr = 0.01\ntokens = " + tokens + "\n";
  return out;
}

CommandResult submit(const std::string& grid, const std::string& dir) {
  return run_command("OMP_NUM_THREADS=1 " + moelaw_command("submit " + grid + " --executor local --out '" + dir + "'"));
}

nlohmann::json advise(const std::string& runs, const std::string& grid, const std::string& extra) {
  auto r = run_command(moelaw_command("advise " + runs + " --law chinchilla --candidates " + grid +
                                      " --budget 1e11 --target 1e13 --json --threads 2 --n-column n_act_nonembedding " + extra));
  if (r.status != 0) throw std::runtime_error("advise: " + r.err);
  return nlohmann::json::parse(r.out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_rounds_of_advise_train_collect) {
  TempDir tmp;
  const std::string seed = tiny_experiment(tmp / "seed.toml", "seed", models({{"a", 1}, {"b", 2}}, "[1024, 2048, 4096]"), 4);
  const std::string study =
      tiny_experiment(tmp / "study.toml", "study", models({{"a", 1}, {"b", 2}, {"c", 2}}, "[1024, 2048, 4096, 8192]"), 4);
  BOOST_TEST_REQUIRE(submit(seed, tmp / "exp0").status == 0);
  BOOST_TEST_REQUIRE(run_command(moelaw_command("collect " + tmp / "exp0" + " --out " + tmp / "runs0.csv")).status == 0);

  auto first = advise(tmp / "runs0.csv", study, "--grid " + tmp / "next.toml");
  BOOST_TEST(first["already_trained"] == 6);
  BOOST_REQUIRE(!first["selected"].empty());
  std::set<std::string> chosen;
  for (auto& s : first["selected"]) chosen.insert(s["run_id"].get<std::string>());
  for (const char* trained : {"a_lr-0.01_s1234_D1024", "b_lr-0.01_s1234_D4096"}) BOOST_TEST(!chosen.count(trained));

  BOOST_TEST_REQUIRE(submit(tmp / "next.toml", tmp / "exp1").status == 0);
  auto c = run_command(moelaw_command("collect " + tmp / "exp0" + " " + tmp / "exp1" + " --out " + tmp / "runs1.csv"));
  BOOST_TEST_REQUIRE(c.status == 0, c.err);
  // What trained in round 1 is exactly what the advisor chose.
  std::ifstream in(tmp / "runs1.csv");
  std::string line;
  std::getline(in, line);
  std::set<std::string> collected;
  while (std::getline(in, line)) collected.insert(line.substr(0, line.find(',')));
  BOOST_TEST(collected.size() == 6 + chosen.size());
  for (const auto& id : chosen) BOOST_TEST(collected.count(id) == 1u, id);

  auto second = advise(tmp / "runs1.csv", study, "");
  BOOST_TEST(second["already_trained"] == collected.size());
  for (auto& s : second["selected"]) BOOST_TEST(!collected.count(s["run_id"].get<std::string>()));
}

BOOST_AUTO_TEST_SUITE_END()
