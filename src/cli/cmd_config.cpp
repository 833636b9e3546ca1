// `moelaw config CONFIG.toml [--set KEY=VALUE]...`: checks a run configuration and prints it
// resolved (every key, defaults filled in) as TOML; `--keys` lists the schema instead.
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "config/run_config.hpp"

namespace moelaw::cli {

int cmd_config(const Argv& argv) {
  Args args("config", argv, {{"--set", true, true}, {"--keys", false}},
            "moelaw config CONFIG.toml [--set KEY=VALUE]...\n"
            "       moelaw config --keys\n\n"
            "Checks a training configuration against the schema (unknown keys, types, ranges and\n"
            "cross-key consistency, each error naming file, line and key) and prints it resolved.\n"
            "  --set KEY=VALUE   override any key, e.g. --set model.d_model=128 (repeatable)\n"
            "  --keys            list every key with its type, default and meaning\n");
  if (args.help()) {
    std::cout << args.usage();
    return 0;
  }
  if (args.flag("--keys")) {
    args.expect_positionals(0, 0);
    for (const auto& s : config::run_schema())
      std::cout << s.key << "  (" << config::type_name(s.type) << (s.fallback ? "" : ", required")
                << ")  " << s.doc << "\n";
    return 0;
  }
  args.expect_positionals(1, 1);
  auto run = config::load_run_config(args.positionals()[0], args.values("--set"));
  std::cout << run.resolved_toml;
  return 0;
}

}  // namespace moelaw::cli
