#include "analysis/advise_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "common/errors.hpp"
#include "common/number_text.hpp"
#include "launcher/experiment.hpp"
#include "launcher/plan.hpp"

namespace moelaw::analysis {

namespace {

// Chosen lengths per model name, in increasing order.
std::map<std::string, std::set<int64_t>> chosen_lengths(const CandidateSet& set, const Selection& sel,
                                                       const std::function<std::string(const Candidate&)>& model_of) {
  std::map<std::string, std::set<int64_t>> out;
  for (const AdvisedRun& a : sel.runs) {
    const Candidate& c = set.runs.at(a.index);
    out[model_of(c)].insert(std::llround(c.tokens));
  }
  return out;
}

std::string grid_from_grid(const CandidateSet& set, const Selection& sel, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse_file(set.grid_path);
  } catch (const toml::parse_error& e) {
    throw UsageError(set.grid_path + ": " + std::string(e.description()));
  }
  auto lengths = chosen_lengths(set, sel, [](const Candidate& c) { return c.model; });
  toml::array models;
  if (auto* all = root["models"].as_array())
    for (auto& node : *all) {
      auto* m = node.as_table();
      if (!m) continue;
      auto it = lengths.find(m->get("name") ? m->get("name")->value_or(std::string()) : "");
      if (it == lengths.end()) continue;
      toml::table copy = *m;
      toml::array tokens;
      for (int64_t d : it->second) tokens.push_back(d);
      copy.insert_or_assign("tokens", tokens);
      // Only the chosen seeds and (explicit) learning rates of the model: the planner crosses them.
      std::set<int64_t> seeds;
      std::set<double> lrs;
      for (const AdvisedRun& a : sel.runs) {
        const Candidate& c = set.runs.at(a.index);
        if (c.model != it->first) continue;
        if (c.seed >= 0) seeds.insert(std::llround(c.seed));
        if (c.lr > 0) lrs.insert(c.lr);
      }
      if (!seeds.empty()) {
        toml::array a;
        for (int64_t v : seeds) a.push_back(v);
        copy.insert_or_assign("seeds", a);
      }
      if (!lrs.empty() && copy.get("lr") && copy.get("lr")->is_array()) {
        toml::array a;
        for (double v : lrs) a.push_back(v);
        copy.insert_or_assign("lr", a);
      }
      models.push_back(copy);
    }
  root.insert_or_assign("models", models);
  if (!root["experiment"].as_table()) root.insert_or_assign("experiment", toml::table{});
  root["experiment"].as_table()->insert_or_assign("name", name);
  std::ostringstream o;
  o << "# The runs `moelaw advise` chose from " << set.grid_path << " (lengths, seeds and LRs of each model\n"
    << "# crossed as the planner does: a model chosen at two seeds trains both at every chosen length).\n"
    << root << "\n";
  return o.str();
}

std::string grid_from_table(const CandidateSet& set, const Selection& sel, const std::string& name) {
  auto model_of = [&](const Candidate& c) {
    if (!(c.d_model > 0 && c.n_blocks > 0))
      throw UsageError(located(set.table.source, c.line,
                               "--grid: candidate " + c.run_id + " has no d_model and n_blocks to write a grid from"));
    if (!c.model.empty() && launcher::is_safe_name(c.model)) return c.model;
    char buf[128];
    std::snprintf(buf, sizeof buf, "d%ld-b%ld-e%ld-k%ld", std::lround(c.d_model), std::lround(c.n_blocks),
                  std::lround(c.experts), std::lround(c.top_k));
    return std::string(buf);
  };
  auto lengths = chosen_lengths(set, sel, model_of);
  std::ostringstream o;
  o << "# The runs `moelaw advise` chose from " << set.table.source << ".\n[experiment]\nname = \"" << name << "\"\n";
  std::set<std::string> written;
  for (const AdvisedRun& a : sel.runs) {
    const Candidate& c = set.runs.at(a.index);
    const std::string m = model_of(c);
    if (!written.insert(m).second) continue;
    o << "\n[[models]]\nname = \"" << m << "\"\nd_model = " << std::lround(c.d_model)
      << "\nn_blocks = " << std::lround(c.n_blocks) << "\nexperts = " << std::lround(c.experts)
      << "\ntop_k = " << std::lround(c.top_k) << "\ntokens = [";
    bool first = true;
    for (int64_t d : lengths[m]) o << (first ? "" : ", ") << d, first = false;
    o << "]\n";
    if (c.lr > 0) o << "lr = " << exact_text(c.lr) << "\n";
  }
  return o.str();
}

}  // namespace

CandidateSet read_candidates_grid(const std::string& path) {
  launcher::Experiment exp = launcher::load_experiment(path);
  launcher::Plan plan = launcher::make_plan(exp);
  RunsTable t;
  t.source = path;
  t.columns = {"run_id", "n_act", "n_total", "tokens", "experts", "top_k", "init_from", "decay_fraction",
               "d_model", "n_blocks", "model", "lr", "seed", "n_act_nonembedding"};
  std::map<std::string, const launcher::ModelSpec*> specs;
  for (const auto& m : exp.models) specs[m.name] = &m;
  for (const launcher::PlannedRun& r : plan.runs) {
    if (r.role != "cooldown") continue;
    const auto* spec = specs.count(r.model) ? specs[r.model] : nullptr;
    const double tokens = static_cast<double>(r.target_tokens);
    const double blocks = spec && spec->n_blocks > 0 ? double(spec->n_blocks) : 0;
    t.rows.push_back({r.name, exact_text(r.n_act), exact_text(r.n_total), exact_text(tokens),
                      exact_text(double(r.experts)), exact_text(double(r.top_k)), r.init_from,
                      exact_text(1 - double(r.start_tokens) / tokens), spec ? exact_text(double(spec->d_model)) : "",
                      blocks > 0 ? exact_text(blocks) : "", r.model, r.lr_from_law ? "" : exact_text(r.lr),
                      std::to_string(r.seed), exact_text(r.n_act_nonembedding)});
    t.lines.push_back(spec ? spec->line : 0);
  }
  CandidateSet set = candidates_from_table(std::move(t));
  set.grid_path = path;
  return set;
}

CandidateSet read_candidates(const std::string& path) {
  return path.ends_with(".toml") ? read_candidates_grid(path) : read_candidates_csv(path);
}

std::string advised_grid_toml(const CandidateSet& set, const Selection& sel, const std::string& name) {
  if (sel.runs.empty()) throw UsageError("--grid: no run was chosen, so there is no grid to write");
  return set.grid_path.empty() ? grid_from_table(set, sel, name) : grid_from_grid(set, sel, name);
}

}  // namespace moelaw::analysis
