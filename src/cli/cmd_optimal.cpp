// `moelaw optimal --law joint --coeffs FILE`: compute-optimal N_act and D per budget and E, the
// per-E Chinchilla coefficients the joint law reduces to, the memory-optimal E under a memory
// budget and the optimum under a training-plus-inference budget.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/optimal.hpp"
#include "analysis/report.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"

namespace moelaw::cli {

namespace {

using namespace moelaw::analysis;

std::vector<double> number_list(const Args& args, const std::string& option, std::vector<double> fallback) {
  auto v = args.value(option);
  if (!v) return fallback;
  std::vector<double> out;
  std::stringstream s(*v);
  std::string item;
  while (std::getline(s, item, ',')) {
    char* end = nullptr;
    double x = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !(x > 0) || !std::isfinite(x))
      args.fail(option + " expects positive numbers separated by commas, got '" + item + "'");
    out.push_back(x);
  }
  if (out.empty()) args.fail(option + " is empty");
  return out;
}

nlohmann::json to_json(const Optimum& o) {
  nlohmann::json j = {{"budget", o.budget}, {"experts", o.experts}, {"n_act", o.n_act},
                      {"tokens", o.tokens}, {"loss", o.loss},       {"d_model", o.d_model}};
  if (o.memory_bytes > 0) j["memory_bytes"] = o.memory_bytes, j["memory_bound"] = o.memory_bound;
  return j;
}

std::string g(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", x);
  return b;
}

void print_table(const std::string& title, const std::vector<Optimum>& rows, bool memory) {
  std::cout << "\n## " << title << "\n\n| budget | E | N_act | D | D/N | loss | d_model |" << (memory ? " memory | bound |" : "")
            << "\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |" << (memory ? " ---: | --- |" : "") << "\n";
  for (const auto& o : rows) {
    std::cout << "| " << g(o.budget) << " | " << g(o.experts) << " | " << g(o.n_act) << " | " << g(o.tokens) << " | "
              << g(o.tokens / o.n_act) << " | " << g(o.loss) << " | " << g(o.d_model) << " |";
    if (memory) std::cout << " " << g(o.memory_bytes) << " | " << (o.memory_bound ? "memory" : "compute") << " |";
    std::cout << "\n";
  }
}

}  // namespace

int cmd_optimal(const Argv& argv) {
  Args args("optimal", argv,
            {{"--law", true}, {"--coeffs", true}, {"--json", false}, {"--budgets", true}, {"--experts", true},
             {"--memory", true}, {"--kv-tokens", true}, {"--bytes-per-param", true}, {"--inference-tokens", true}},
            "moelaw optimal --law joint --coeffs FILE [--json] [--budgets C1,C2,...] [--experts E1,E2,...]\n"
            "               [--memory BYTES --kv-tokens T --bytes-per-param B] [--inference-tokens D]\n\n"
            "FILE is what `moelaw fit --json` prints or the coefficients.{json,toml} it writes.\n"
            "For every budget C = 6·N_act·D (FLOPs; default 1e19..1e24) and E (default 1..64):\n"
            "  compute_optimal  N_act, D and loss (closed form of the per-E Chinchilla reduction)\n"
            "  reduced          m, mu, n, nu, c with L = m·N^mu + n·D^nu + c at that E\n"
            "  memory_optimal   with --memory: the compute optimum shrunk to the largest model of the\n"
            "                   shape rule (d_model/64 blocks) whose B·(N_total + 2·T·n_blocks·d_model)\n"
            "                   bytes fit; best_experts is the E with the lowest loss (B default 2)\n"
            "  inference_optimal with --inference-tokens: the optimum when C = 6·N·D + 2·N·D_inf\n"
            "N_act counts embeddings (2·d·V + 13·n_blocks·d²).\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(0, 0);
  if (args.value("--law").value_or("joint") != "joint") args.fail("only --law joint is supported");
  auto path = args.value("--coeffs");
  if (!path) args.fail("--coeffs FILE is required");
  FitReport fit = read_coefficients(*path);
  if (fit.law != "joint") throw UsageError(*path + ": coefficients of law '" + fit.law + "', not joint");
  auto budgets = number_list(args, "--budgets", {1e19, 1e20, 1e21, 1e22, 1e23, 1e24});
  auto experts = number_list(args, "--experts", {1, 2, 4, 8, 16, 32, 64});
  for (double e : experts)
    if (e < 1) args.fail("--experts must be at least 1");

  nlohmann::json out = {{"law", "joint"}, {"coefficients", nlohmann::json::object()}};
  for (const auto& [n, v] : fit.coefficients) out["coefficients"][n] = v;
  std::vector<Reduced> reduced;
  for (double e : experts) {
    reduced.push_back(reduce_joint(fit.coefficients, e));
    const Reduced& r = reduced.back();
    out["reduced"].push_back({{"experts", e}, {"m", r.m}, {"mu", r.mu}, {"n", r.n}, {"nu", r.nu}, {"c", r.c}});
  }
  std::vector<Optimum> compute, memory, inference;
  for (double c : budgets)
    for (const auto& r : reduced) compute.push_back(compute_optimal(r, c));
  for (const auto& o : compute) out["compute_optimal"].push_back(to_json(o));

  auto mem_bytes = args.real("--memory");
  if (mem_bytes) {
    MemorySpec spec{*mem_bytes, args.real("--kv-tokens").value_or(0), args.real("--bytes-per-param").value_or(2)};
    if (!(spec.bytes > 0) || spec.kv_tokens < 0 || !(spec.bytes_per_param > 0))
      args.fail("--memory and --bytes-per-param must be positive, --kv-tokens not negative");
    out["memory_optimal"] = nlohmann::json::array();
    for (double c : budgets) {
      nlohmann::json per_e = nlohmann::json::array();
      const Optimum* best = nullptr;
      size_t first = memory.size();
      for (const auto& r : reduced) memory.push_back(memory_constrained_optimal(r, c, spec));
      for (size_t i = first; i < memory.size(); ++i) {
        per_e.push_back(to_json(memory[i]));
        if (!best || memory[i].loss < best->loss) best = &memory[i];
      }
      out["memory_optimal"].push_back({{"budget", c}, {"memory", spec.bytes}, {"kv_tokens", spec.kv_tokens},
                                       {"bytes_per_param", spec.bytes_per_param}, {"best_experts", best->experts},
                                       {"best", to_json(*best)}, {"per_experts", per_e}});
    }
  } else if (args.value("--kv-tokens") || args.value("--bytes-per-param")) {
    args.fail("--kv-tokens and --bytes-per-param need --memory");
  }
  if (auto d_inf = args.real("--inference-tokens")) {
    if (!(*d_inf > 0)) args.fail("--inference-tokens must be positive");
    for (double c : budgets)
      for (const auto& r : reduced) inference.push_back(inference_optimal(r, c, *d_inf));
    for (const auto& o : inference) out["inference_optimal"].push_back(to_json(o));
    out["inference_tokens"] = *d_inf;
  }

  if (args.flag("--json")) {
    std::cout << out.dump(1) << "\n";
    return 0;
  }
  std::cout << "## Joint law reduced to L = m·N^mu + n·D^nu + c per E\n\n| E | m | mu | n | nu | c |\n"
               "| ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& r : reduced)
    std::cout << "| " << g(r.experts) << " | " << g(r.m) << " | " << g(r.mu) << " | " << g(r.n) << " | " << g(r.nu)
              << " | " << g(r.c) << " |\n";
  print_table("Compute-optimal (C = 6·N_act·D)", compute, false);
  if (!memory.empty()) print_table("Memory-constrained optimum", memory, true);
  if (!inference.empty()) print_table("Training + inference optimum (C = 6·N·D + 2·N·D_inf)", inference, false);
  return 0;
}

}  // namespace moelaw::cli
