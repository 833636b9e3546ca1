#pragma once
// An experiment file (TOML): a grid of models, token budgets, learning rates and seeds, the run
// settings they share, and the resources each job asks for. See experiments/ for examples.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/step_law.hpp"

namespace moelaw::launcher {

struct ModelSpec {
  std::string name;
  int64_t d_model = 0, n_blocks = 0, experts = 1, top_k = 1, granularity = 1;
  std::vector<int64_t> tokens;  // the lengths D_i to train to
  std::vector<double> lrs;      // empty: the LR law ("auto")
  std::vector<int64_t> seeds;
  long line = 0;                // where the model is defined, for messages
};

struct Resources {
  int64_t ranks = 1, expert_parallel = 1, gpus_per_node = 0;
  std::string time_limit = "24:00:00", partition, account;
  bool hdf5_no_file_locking = false;  // for NFS/Lustre mounts without lock support
  std::string launcher = "mpirun";    // "mpirun" or "srun"
};

struct Experiment {
  std::string path, name;
  std::vector<std::string> run_settings;  // KEY=VALUE for every run (from [run.*])
  std::vector<ModelSpec> models;
  Resources resources;
  // `[experiment] lr_bs_law = "FILE"` (relative to the experiment file): what `moelaw fit --law
  // lr-bs` wrote. Models with `lr = "auto"` then train each length with its own LR and batch size.
  std::optional<model::StepLaw> step_law;
  std::string step_law_file;
};

// Reads and checks an experiment file; every error names the file, line and key.
Experiment load_experiment(const std::string& path);

// A name that is safe as a directory name and inside a shell script: [A-Za-z0-9._-], not "." or "..".
bool is_safe_name(const std::string& name);

}  // namespace moelaw::launcher
