// `moelaw SUBCOMMAND ...`: dispatches to a subcommand and maps errors to exit statuses:
// 0 success, 2 usage/configuration/input error, 1 failure while working, 75 preempted.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"
#include "common/errors.hpp"
#include "train/stop_request.hpp"

namespace {

void print_help(std::ostream& out) {
  out << "moelaw " MOELAW_VERSION " - scaling-law studies of dense and Mixture-of-Experts models\n\n"
         "usage: moelaw SUBCOMMAND [ARGS...]     (moelaw SUBCOMMAND --help for each)\n\n"
         "subcommands:\n";
  for (const auto& c : moelaw::cli::kCommands) {
    std::string name = c.name;
    out << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') << c.summary
        << "\n";
  }
  out << "\nexit status: 0 success, 1 failure while working, 2 usage, configuration or input error,\n"
         "75 stopped on a signal after checkpointing (resumable)\n";
}

}  // namespace

#ifdef MOELAW_HAVE_CUDA
#include "backend/registry.hpp"
#include "cuda_backend.hpp"
#include "device_info.hpp"

namespace {
int gpu_count(std::string* reason) {
  auto info = moelaw::cuda::query_devices();
  if (info.count == 0 && reason) *reason = info.reason;
  return info.count;
}
}  // namespace
#endif

#ifdef MOELAW_HAVE_NCCL
#include "nccl_exchange.hpp"
#include "parallel/exchange_factory.hpp"
#endif

namespace {
// First thing: a preemption signal that comes while `train` starts (while the shared libraries
// initialise, before MPI is up or the data is open) must leave it to checkpoint and exit 75, not
// kill it. glibc runs .preinit_array entries before any library's constructor, with main's
// arguments; the 60-odd libraries' constructors take most of the first 0.1 s.
void install_train_handlers_early(int argc, char** argv, char**) {
  if (argc >= 2 && std::string_view(argv[1]) == "train") moelaw::train::install_stop_handlers();
}
__attribute__((section(".preinit_array"), used)) void (*const kPreinit)(int, char**, char**) = install_train_handlers_early;
}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
#ifdef MOELAW_HAVE_CUDA
  moelaw::backend::register_gpu_backend({gpu_count, moelaw::cuda::make_cuda_backend});
#endif
#ifdef MOELAW_HAVE_NCCL
  // parallel.transport = auto | nccl can then pick NCCL (parallel/exchange_factory.hpp).
  moelaw::parallel::register_nccl_exchange({moelaw::cuda::current_gpu_bus_id, moelaw::cuda::make_nccl_exchange});
#endif
  if (argc < 2) {
    print_help(std::cerr);
    return moelaw::kExitUsage;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_help(std::cout);
    return moelaw::kExitOk;
  }
  if (name == "--version") {
    std::cout << "moelaw " MOELAW_VERSION "\n";
    return moelaw::kExitOk;
  }
  for (const auto& c : moelaw::cli::kCommands) {
    if (name != c.name) continue;
    moelaw::cli::Argv rest(argv + 2, argv + argc);
    try {
      int status = c.run(rest);
      std::cout.flush();
      return status;
    } catch (const moelaw::UsageError& e) {
      // One write per message: the ranks of a job share a terminal or log file.
      std::cout.flush();
      std::cerr << ("error: " + std::string(e.what()) + "\n") << std::flush;
      return moelaw::kExitUsage;
    } catch (const std::exception& e) {
      std::cout.flush();
      std::cerr << ("error: moelaw " + std::string(name) + ": " + e.what() + "\n") << std::flush;
      return moelaw::kExitFailure;
    }
  }
  std::cerr << "error: unknown subcommand '" << name << "' (moelaw --help lists them)\n";
  return moelaw::kExitUsage;
}
