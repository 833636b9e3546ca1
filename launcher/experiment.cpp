#include "launcher/experiment.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "common/errors.hpp"
#include "common/file_io.hpp"

namespace moelaw::launcher {

namespace {

// Errors name the file, the line of the offending node and the key.
struct Reader {
  std::string path;

  [[noreturn]] void fail(const toml::node* node, const std::string& key, const std::string& msg) const {
    long line = node ? static_cast<long>(node->source().begin.line) : 0;
    throw UsageError(located(path, line, (key.empty() ? "" : "key '" + key + "': ") + msg));
  }

  // Rejects keys of `table` outside `allowed`.
  void only(const toml::table& table, const std::string& prefix, std::set<std::string> allowed) const {
    for (auto&& [k, v] : table)
      if (!allowed.count(std::string(k.str())))
        fail(&v, prefix + std::string(k.str()), "unknown key");
  }

  int64_t integer(const toml::table& t, const std::string& prefix, const char* key, int64_t fallback,
                  int64_t min) const {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (!n->is_integer()) fail(n, prefix + key, "expected an integer");
    int64_t v = *n->value<int64_t>();
    if (v < min) fail(n, prefix + key, "must be >= " + std::to_string(min) + ", got " + std::to_string(v));
    return v;
  }

  std::string string(const toml::table& t, const std::string& prefix, const char* key,
                     const std::string& fallback) const {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (!n->is_string()) fail(n, prefix + key, "expected a string");
    return *n->value<std::string>();
  }

  // An integer or an array of integers, each >= min.
  std::vector<int64_t> integers(const toml::table& t, const std::string& prefix, const char* key,
                                int64_t min) const {
    const toml::node* n = t.get(key);
    std::vector<int64_t> out;
    if (!n) return out;
    auto take = [&](const toml::node& e) {
      if (!e.is_integer()) fail(&e, prefix + key, "expected an integer or an array of integers");
      int64_t v = *e.value<int64_t>();
      if (v < min) fail(&e, prefix + key, "must be >= " + std::to_string(min) + ", got " + std::to_string(v));
      out.push_back(v);
    };
    if (auto* a = n->as_array()) {
      for (auto& e : *a) take(e);
    } else {
      take(*n);
    }
    return out;
  }
};

// Flattens [run.SECTION] tables into "SECTION.KEY=VALUE" settings, VALUE as TOML text.
void collect_run_settings(const Reader& r, const toml::table& run, Experiment& exp) {
  for (auto&& [section, node] : run) {
    auto* table = node.as_table();
    if (!table) r.fail(&node, "run." + std::string(section.str()), "expected a table such as [run.model]");
    for (auto&& [key, value] : *table) {
      std::ostringstream text;
      if (auto* s = value.as_string()) {
        text << toml::value<std::string>(s->get());
      } else if (value.is_array()) {
        text << *value.as_array();
      } else if (value.is_table()) {
        r.fail(&value, "run." + std::string(section.str()) + "." + std::string(key.str()),
               "nested tables are not run settings");
      } else {
        value.visit([&](auto&& v) { text << v; });
      }
      exp.run_settings.push_back(std::string(section.str()) + "." + std::string(key.str()) + "=" + text.str());
    }
  }
}

// The coefficients `moelaw fit --law lr-bs` wrote (coefficients.json or its --json output).
void read_step_law(const Reader& r, const toml::node& node, Experiment& exp) {
  const std::string key = "experiment.lr_bs_law";
  auto file = node.value<std::string>();
  if (!file || file->empty()) r.fail(&node, key, "expected the path of a coefficients file of `moelaw fit --law lr-bs`");
  std::filesystem::path path = std::filesystem::path(exp.path).parent_path() / *file;
  exp.step_law_file = path.string();
  std::string text;
  try {
    text = read_file(path.string());
  } catch (const UsageError& e) {
    r.fail(&node, key, e.what());  // "PATH: cannot open (reason)", at the key that names it
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("law", "") != "lr-bs" || !j["coefficients"].is_object())
    r.fail(&node, key, path.string() + " is not the JSON of `moelaw fit --law lr-bs` (law \"lr-bs\", coefficients)");
  model::StepLaw law;
  for (auto [name, value] : {std::pair<const char*, double*>{"eta0", &law.eta0}, {"eta_n", &law.eta_n},
                             {"eta_d", &law.eta_d}, {"b0", &law.b0}, {"b_d", &law.b_d}}) {
    const auto& v = j["coefficients"][name];
    if (!v.is_number()) r.fail(&node, key, path.string() + ": coefficient '" + name + "' is missing or not a number");
    *value = v.get<double>();
  }
  exp.step_law = law;
}

}  // namespace

bool is_safe_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 100) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

Experiment load_experiment(const std::string& path) {
  Reader r{path};
  const std::string text = read_file(path, "cannot open experiment file");
  toml::table root;
  try {
    root = toml::parse(std::string_view(text), std::string_view(path));
  } catch (const toml::parse_error& e) {
    throw UsageError(located(path, static_cast<long>(e.source().begin.line),
                             "invalid TOML: " + std::string(e.description())));
  }
  r.only(root, "", {"experiment", "run", "resources", "models"});

  Experiment exp;
  exp.path = path;
  if (auto* e = root["experiment"].as_table()) {
    r.only(*e, "experiment.", {"name", "lr_bs_law"});
    exp.name = r.string(*e, "experiment.", "name", "");
    if (const toml::node* law = e->get("lr_bs_law")) read_step_law(r, *law, exp);
  }
  if (exp.name.empty()) r.fail(nullptr, "experiment.name", "required");
  if (!is_safe_name(exp.name))
    r.fail(root["experiment"]["name"].node(), "experiment.name",
           "may only hold letters, digits, '.', '_' and '-'");

  if (auto* run = root["run"].as_table()) collect_run_settings(r, *run, exp);

  if (auto* res = root["resources"].as_table()) {
    const std::string p = "resources.";
    r.only(*res, p, {"ranks", "expert_parallel", "gpus_per_node", "time_limit", "partition", "account",
                     "hdf5_no_file_locking", "launcher"});
    auto& o = exp.resources;
    o.ranks = r.integer(*res, p, "ranks", 1, 1);
    o.expert_parallel = r.integer(*res, p, "expert_parallel", 1, 1);
    o.gpus_per_node = r.integer(*res, p, "gpus_per_node", 0, 0);
    o.time_limit = r.string(*res, p, "time_limit", o.time_limit);
    o.partition = r.string(*res, p, "partition", "");
    o.account = r.string(*res, p, "account", "");
    o.launcher = r.string(*res, p, "launcher", o.launcher);
    if (auto* n = res->get("hdf5_no_file_locking")) {
      if (!n->is_boolean()) r.fail(n, p + "hdf5_no_file_locking", "expected a boolean");
      o.hdf5_no_file_locking = *n->value<bool>();
    }
    if (o.ranks % o.expert_parallel != 0)
      r.fail(res->get("expert_parallel"), p + "expert_parallel", "must divide resources.ranks");
    if (o.launcher != "mpirun" && o.launcher != "srun")
      r.fail(res->get("launcher"), p + "launcher", "must be \"mpirun\" or \"srun\"");
    // These values end up in #SBATCH lines: keep them to harmless characters.
    for (const char* k : {"time_limit", "partition", "account"}) {
      std::string v = r.string(*res, p, k, "");
      for (char c : v)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '-' || c == '_' || c == '.'))
          r.fail(res->get(k), p + k, "may only hold letters, digits and : - _ .");
    }
  }

  auto* models = root["models"].as_array();
  if (!models || models->empty()) r.fail(nullptr, "models", "at least one [[models]] entry is required");
  std::set<std::string> names;
  for (auto& node : *models) {
    auto* t = node.as_table();
    if (!t) r.fail(&node, "models", "expected [[models]] tables");
    ModelSpec m;
    m.line = static_cast<long>(node.source().begin.line);
    std::string p = "models.";
    r.only(*t, p, {"name", "d_model", "n_blocks", "experts", "top_k", "granularity", "tokens", "lr", "seeds"});
    m.name = r.string(*t, p, "name", "");
    if (!is_safe_name(m.name))
      r.fail(t->get("name") ? t->get("name") : &node, p + "name",
             "required, and may only hold letters, digits, '.', '_' and '-' (got \"" + m.name + "\")");
    if (!names.insert(m.name).second) r.fail(t->get("name"), p + "name", "\"" + m.name + "\" is used twice");
    p = "models." + m.name + ".";
    m.d_model = r.integer(*t, p, "d_model", 0, 1);
    if (m.d_model == 0) r.fail(&node, p + "d_model", "required");
    m.n_blocks = r.integer(*t, p, "n_blocks", 0, 0);
    m.experts = r.integer(*t, p, "experts", 1, 1);
    m.top_k = r.integer(*t, p, "top_k", 1, 1);
    m.granularity = r.integer(*t, p, "granularity", 1, 1);
    m.tokens = r.integers(*t, p, "tokens", 1);
    if (m.tokens.empty()) r.fail(&node, p + "tokens", "required: the lengths to train to");
    std::sort(m.tokens.begin(), m.tokens.end());
    if (std::adjacent_find(m.tokens.begin(), m.tokens.end()) != m.tokens.end())
      r.fail(t->get("tokens"), p + "tokens", "lists a length twice");
    m.seeds = r.integers(*t, p, "seeds", 0);
    if (m.seeds.empty()) m.seeds = {1234};
    if (auto* lr = t->get("lr")) {
      auto take = [&](const toml::node& e) {
        if (!e.is_number()) r.fail(&e, p + "lr", "expected \"auto\", a number or an array of numbers");
        double v = *e.value<double>();
        if (!(v > 0)) r.fail(&e, p + "lr", "must be positive");
        m.lrs.push_back(v);
      };
      if (lr->is_string()) {
        if (*lr->value<std::string>() != "auto") r.fail(lr, p + "lr", "expected \"auto\", a number or an array");
      } else if (auto* a = lr->as_array()) {
        for (auto& e : *a) take(e);
      } else {
        take(*lr);
      }
    }
    exp.models.push_back(std::move(m));
  }
  return exp;
}

}  // namespace moelaw::launcher
