#pragma once
// Every subcommand of `moelaw`: one function each, in a file of its own (cmd_<name>.cpp).
// Each takes the arguments after the subcommand name and returns the exit status.
#include <string>
#include <vector>

namespace moelaw::cli {

using Argv = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Argv& argv);
};

int cmd_config(const Argv& argv);
int cmd_encode(const Argv& argv);
int cmd_decode(const Argv& argv);
int cmd_params(const Argv& argv);
int cmd_plan(const Argv& argv);
int cmd_shard_info(const Argv& argv);
int cmd_tokenize(const Argv& argv);
int cmd_train(const Argv& argv);
int cmd_runinfo(const Argv& argv);
int cmd_submit(const Argv& argv);
int cmd_status(const Argv& argv);
int cmd_collect(const Argv& argv);
int cmd_fit(const Argv& argv);
int cmd_optimal(const Argv& argv);
int cmd_forecast(const Argv& argv);
int cmd_advise(const Argv& argv);

// The table `moelaw --help` lists, in this order.
inline const Command kCommands[] = {
    {"config", "check a run configuration and print it resolved", cmd_config},
    {"encode", "GPT-2 token ids of the text on stdin", cmd_encode},
    {"decode", "the text of GPT-2 token ids on stdin", cmd_decode},
    {"tokenize", "tokenize documents into token shards (llm.c layout)", cmd_tokenize},
    {"shard-info", "check token shards and count their tokens and documents", cmd_shard_info},
    {"params", "parameter counts, FLOPs per token and the LR law of a model shape", cmd_params},
    {"train", "train a model (under mpirun for data parallelism)", cmd_train},
    {"runinfo", "what a run has done: steps, tokens, losses", cmd_runinfo},
    {"plan", "expand an experiment grid into runs with checkpoint reuse", cmd_plan},
    {"submit", "run an experiment grid on SLURM or on this machine (idempotent)", cmd_submit},
    {"status", "where every run of a submitted experiment stands", cmd_status},
    {"collect", "gather the summaries of finished runs into a runs table (CSV)", cmd_collect},
    {"fit", "fit a scaling law to a runs table: coefficients, tables, plots", cmd_fit},
    {"optimal", "compute-, memory- and inference-optimal configurations from a fitted law", cmd_optimal},
    {"forecast", "fit a loss-curve law across LR schedules; predict curves from their schedules", cmd_forecast},
    {"advise", "which runs to train next: the most certain compute optimum per FLOP within a budget", cmd_advise},
};

}  // namespace moelaw::cli
