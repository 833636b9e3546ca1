// `moelaw train CONFIG.toml [--set KEY=VALUE]... [--out RUN_DIR] [--resume auto] [--init-from CKPT]`
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "config/run_config.hpp"
#include "parallel/mpi_communicator.hpp"
#include "train/stop_request.hpp"
#include "train/trainer.hpp"

namespace moelaw::cli {

int cmd_train(const Argv& argv) {
  Args args("train", argv,
            {{"--set", true, true}, {"--out", true}, {"--resume", true}, {"--init-from", true}},
            "moelaw train CONFIG.toml [--set KEY=VALUE]... [--out RUN_DIR] [--resume auto]\n"
            "                         [--init-from CHECKPOINT]\n\n"
            "Trains the model of CONFIG.toml (see `moelaw config --keys`) on its shards. Under\n"
            "`mpirun -np P` the ranks share each batch (data parallelism); the result does not depend\n"
            "on P beyond floating-point summation order.\n"
            "  --set KEY=VALUE         override a configuration key (repeatable)\n"
            "  --out RUN_DIR           run directory (default: runs/<config name>)\n"
            "  --resume auto           continue from the newest valid checkpoint in RUN_DIR, if any;\n"
            "                          a complete run does nothing\n"
            "  --init-from CHECKPOINT  start from another run's checkpoint (weights, optimizer, data\n"
            "                          position, tokens) with this run's schedule: a cooldown branch\n"
            "Exit status: 0 complete, 2 bad configuration or data, 1 failure, 75 stopped by\n"
            "SIGUSR1/SIGUSR2/SIGTERM/SIGINT after writing a checkpoint (resume with --resume auto).\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  args.expect_positionals(1, 1);
  // Before anything slow (configuration, MPI, data): a preemption signal that arrives while the
  // process starts must not kill it; the trainer acts on it after its first step.
  train::install_stop_handlers();
  const std::string config_path = args.positionals()[0];
  auto config = config::load_run_config(config_path, args.values("--set"));
  train::TrainOptions options;
  options.run_dir = args.value("--out").value_or("runs/" + std::filesystem::path(config_path).stem().string());
  if (auto resume = args.value("--resume")) {
    if (*resume != "auto") args.fail("--resume takes 'auto'");
    options.resume = true;
  }
  options.init_from = args.value("--init-from").value_or("");
  auto world = parallel::MpiCommunicator::world();
  if (world->size() % config.parallel.expert != 0)
    throw UsageError(config_path + ": parallel.expert = " + std::to_string(config.parallel.expert) +
                     " does not divide the " + std::to_string(world->size()) + " ranks (rank " +
                     std::to_string(world->rank()) + ")");
  if (world->size() == 1) return train::train(config, options, *world);
  // Every rank reports its own failure: say which one, and where it ran, so that the line that
  // matters can be told from the others a failing job prints.
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  const std::string where = "rank " + std::to_string(world->rank()) + " of " + std::to_string(world->size()) +
                            " on " + host + ": ";
  try {
    return train::train(config, options, *world);
  } catch (const UsageError& e) {
    throw UsageError(where + e.what());
  } catch (const std::exception& e) {
    throw std::runtime_error(where + e.what());
  }
}

}  // namespace moelaw::cli
