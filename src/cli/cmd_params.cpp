// `moelaw params`: parameter counts, FLOPs per token and the LR law for one model shape.
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "common/number_text.hpp"
#include "model/param_count.hpp"

namespace moelaw::cli {

int cmd_params(const Argv& argv) {
  Args args("params", argv,
            {{"--d-model", true}, {"--blocks", true}, {"--experts", true}, {"--top-k", true},
             {"--granularity", true}, {"--vocab", true}, {"--json", false}},
            "moelaw params --d-model D [--blocks L] [--experts E] [--top-k K] [--granularity G]\n"
            "              [--vocab V] [--json]\n\n"
            "Prints the parameter counts of DESIGN.md's formula, training FLOPs per token and the\n"
            "learning rate of the LR law:\n"
            "  n_total = 2dV + (4+9E)·L·d²,  n_act = 2dV + (4+9K)·L·d²,  flops_per_token = 6·n_act,\n"
            "  lr = exp(8.39 − 0.81·ln n_act_nonembedding − 0.25·ln E).\n"
            "The formula leaves out the RMSNorm gains (2d per block + d) and the router (d·E·G per\n"
            "block); n_total_allocated and n_act_allocated include them.\n"
            "  --d-model D      model width (required)\n"
            "  --blocks L       blocks (default d_model/64)\n"
            "  --experts E      experts per MoE layer (default 1: dense)\n"
            "  --top-k K        experts per token (default 1)\n"
            "  --granularity G  expert split factor (default 1)\n"
            "  --vocab V        vocabulary (default 50257, GPT-2)\n"
            "  --json           one JSON object instead of text\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(0, 0);
  const auto d_model = args.integer("--d-model");
  if (!d_model) args.fail("--d-model is required");
  model::ParamCountInput in;
  in.d_model = *d_model;
  if (auto blocks = args.integer("--blocks")) {
    in.n_blocks = *blocks;
  } else {
    if (in.d_model < 64 || in.d_model % 64 != 0)
      args.fail("--blocks is required when --d-model is not a multiple of 64 (the head size)");
    in.n_blocks = in.d_model / 64;
  }
  in.vocab_size = args.integer("--vocab").value_or(50257);
  in.experts = args.integer("--experts").value_or(1);
  in.top_k = args.integer("--top-k").value_or(1);
  in.granularity = args.integer("--granularity").value_or(1);
  model::ParamCounts c;
  try {
    c = model::count_parameters(in);
  } catch (const UsageError& e) {
    args.fail(e.what());
  }

  const std::pair<const char*, std::string> rows[] = {
      {"n_total", std::to_string(c.n_total)},
      {"n_act", std::to_string(c.n_act)},
      {"n_act_nonembedding", std::to_string(c.n_act_nonembedding)},
      {"flops_per_token", std::to_string(c.flops_per_token)},
      {"lr", exact_text(c.lr)},
      {"n_embedding", std::to_string(c.n_embedding)},
      {"n_norm_gains", std::to_string(c.n_norm_gains)},
      {"n_router", std::to_string(c.n_router)},
      {"n_total_allocated", std::to_string(c.n_total_allocated)},
      {"n_act_allocated", std::to_string(c.n_act_allocated)},
  };
  if (args.flag("--json")) {
    std::cout << "{\"d_model\": " << in.d_model << ", \"n_blocks\": " << in.n_blocks
              << ", \"vocab_size\": " << in.vocab_size << ", \"experts\": " << in.experts
              << ", \"top_k\": " << in.top_k << ", \"granularity\": " << in.granularity;
    for (const auto& [key, value] : rows) std::cout << ", \"" << key << "\": " << value;
    std::cout << "}\n";
  } else {
    for (const auto& [key, value] : rows) {
      const std::string k = key;
      std::cout << k << std::string(20 - k.size(), ' ') << value << "\n";
    }
  }
  return 0;
}

}  // namespace moelaw::cli
