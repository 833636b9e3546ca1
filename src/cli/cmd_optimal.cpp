// `moelaw optimal --law joint --coeffs FILE`: parses the options, builds the optimal-configuration
// tables of analysis/optimal_tables and prints them as Markdown or JSON.
#include <iostream>

#include "analysis/optimal_tables.hpp"
#include "analysis/sparsity_tables.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/number_list.hpp"

namespace moelaw::cli {

namespace {

using namespace moelaw::analysis;

int sparsity_optimal(const Args& args, const FitReport& fit, const std::string& path) {
  SparsityTablesRequest r;
  r.budgets = number_list(args, "--budgets", {1e19, 1e20, 1e21, 1e22, 1e23, 1e24});
  r.totals = number_list(args, "--totals", {1e8, 1e9, 1e10, 1e11});
  r.sparsities = number_list(args, "--sparsities", {0, 0.5, 0.75, 0.875, 0.9375, 0.96875, 0.984375}, true);
  for (double s : r.sparsities)
    if (s >= 1) args.fail("--sparsities must be below 1");
  SparsityTables t = sparsity_tables(fit, path, r);
  std::cout << (args.flag("--json") ? to_json(t).dump(1) + "\n" : to_markdown(t));
  return 0;
}

}  // namespace

int cmd_optimal(const Argv& argv) {
  Args args("optimal", argv,
            {{"--law", true}, {"--coeffs", true}, {"--json", false}, {"--budgets", true}, {"--experts", true},
             {"--memory", true}, {"--kv-tokens", true}, {"--bytes-per-param", true}, {"--inference-tokens", true},
             {"--totals", true}, {"--sparsities", true}, {"--target-loss", true}, {"--cost-bound", true},
             {"--gpu-memory", true}, {"--gpu-bandwidth", true}, {"--gpu-flops", true}, {"--gpu-hour-cost", true},
             {"--max-gpus", true}, {"--prompt-tokens", true}, {"--output-tokens", true}},
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
            "  inference_cost_for_loss with --target-loss L1,...: per budget the model (E, over-trained N ≤\n"
            "                   the compute optimum) cheapest to serve that reaches L (Yun et al. 2024)\n"
            "  loss_for_inference_cost with --cost-bound X1,...: the lowest loss served at ≤ X per token\n"
            "                   Serving on G ≤ --max-gpus (64) GPUs of --gpu-memory (80e9) bytes, --gpu-bandwidth\n"
            "                   (3.35e12 B/s), --gpu-flops (989e12), --gpu-hour-cost (2); --prompt-tokens and\n"
            "                   --output-tokens (512 each): batch, roofline latencies, cost per token.\n"
            "N_act counts embeddings (2·d·V + 13·n_blocks·d²).\n\n"
            "moelaw optimal --law sparsity --coeffs FILE [--json] [--budgets ...] [--totals N1,...]\n"
            "               [--sparsities S1,...]\n"
            "  optimal_sparsity per budget and total N (default 1e8..1e11): S*, E = 1/(1−S*), N_act, D\n"
            "  compute_optimal  per budget and S (default E = 1..64): N, N_act and D; models of the\n"
            "                   shape rule, N_total = 2·d·V + (4 + 9E)·n_blocks·d², C = 6·N_act·D\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(0, 0);
  std::string law = args.value("--law").value_or("joint");
  if (law != "joint" && law != "sparsity") args.fail("--law must be joint or sparsity, got '" + law + "'");
  auto path = args.value("--coeffs");
  if (!path) args.fail("--coeffs FILE is required");
  FitReport fit = read_coefficients(*path);
  if (law == "sparsity") return sparsity_optimal(args, fit, *path);
  JointOptimalRequest request;
  request.budgets = number_list(args, "--budgets", {1e19, 1e20, 1e21, 1e22, 1e23, 1e24});
  request.experts = number_list(args, "--experts", {1, 2, 4, 8, 16, 32, 64});
  for (double e : request.experts)
    if (e < 1) args.fail("--experts must be at least 1");
  if (auto bytes = args.real("--memory")) {
    MemorySpec spec{*bytes, args.real("--kv-tokens").value_or(0), args.real("--bytes-per-param").value_or(2)};
    if (!(spec.bytes > 0) || spec.kv_tokens < 0 || !(spec.bytes_per_param > 0))
      args.fail("--memory and --bytes-per-param must be positive, --kv-tokens not negative");
    request.memory = spec;
  } else if (args.value("--kv-tokens") || args.value("--bytes-per-param")) {
    args.fail("--kv-tokens and --bytes-per-param need --memory");
  }
  if (auto d_inf = args.real("--inference-tokens")) {
    if (!(*d_inf > 0)) args.fail("--inference-tokens must be positive");
    request.inference_tokens = *d_inf;
  }
  request.target_losses = number_list(args, "--target-loss", {});
  request.cost_bounds = number_list(args, "--cost-bound", {});
  GpuSpec& gpu = request.gpu;
  gpu.memory_bytes = number_list(args, "--gpu-memory", {gpu.memory_bytes}).at(0);
  gpu.bandwidth = number_list(args, "--gpu-bandwidth", {gpu.bandwidth}).at(0);
  gpu.peak_flops = number_list(args, "--gpu-flops", {gpu.peak_flops}).at(0);
  gpu.cost_per_second = number_list(args, "--gpu-hour-cost", {gpu.cost_per_second * 3600}).at(0) / 3600;
  gpu.max_gpus = static_cast<int>(args.integer("--max-gpus").value_or(gpu.max_gpus));
  if (gpu.max_gpus < 1) args.fail("--max-gpus must be at least 1");
  request.serving.prompt = number_list(args, "--prompt-tokens", {request.serving.prompt}).at(0);
  request.serving.output = number_list(args, "--output-tokens", {request.serving.output}).at(0);
  JointOptimalTables tables = joint_optimal_tables(fit, *path, request);
  std::cout << (args.flag("--json") ? to_json(tables).dump(1) + "\n" : to_markdown(tables));
  return 0;
}

}  // namespace moelaw::cli
