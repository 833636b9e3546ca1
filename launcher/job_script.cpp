#include "launcher/job_script.hpp"

#include <cctype>
#include <regex>

#include "common/errors.hpp"
#include "train/run_dir.hpp"

namespace moelaw::launcher {

namespace {

// #SBATCH lines are read by sbatch, not by the shell, and cannot be quoted: their values may only
// hold characters that need no quoting.
std::string sbatch_value(const std::string& key, const std::string& value) {
  for (unsigned char c : value)
    if (!(std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == ':' || c == '%' || c == '+' ||
          c == ',' || c == '=' || c == '@'))
      throw UsageError("batch script: the value of " + key + " (\"" + value +
                       "\") holds a character that an #SBATCH line cannot carry; use a path or name of "
                       "letters, digits and / . _ - : % + , =");
  return value;
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string render_template(const std::string& text, const std::map<std::string, std::string>& values,
                            const std::string& name) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '@') {
      size_t end = text.find('@', i + 1);
      if (end != std::string::npos) {
        auto it = values.find(text.substr(i + 1, end - i - 1));
        if (it != values.end()) {
          out += it->second;
          i = end + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  std::smatch left;
  if (std::regex_search(out, left, std::regex("@[A-Z][A-Z_]*@")))
    throw UsageError(name + ": unknown placeholder " + left.str() + " in the batch-script template");
  return out;
}

std::string render_job_script(const std::string& template_text, const std::string& template_name,
                              const Experiment& exp, const PlannedRun& run,
                              const ExperimentDir& dir, const JobScriptInputs& in) {
  const Resources& res = exp.resources;
  std::string resources;
  if (res.gpus_per_node > 0) {
    // One rank per GPU, whole nodes.
    int64_t nodes = (res.ranks + res.gpus_per_node - 1) / res.gpus_per_node;
    resources += "#SBATCH --nodes=" + std::to_string(nodes) + "\n";
    resources += "#SBATCH --ntasks-per-node=" + std::to_string(std::min(res.ranks, res.gpus_per_node)) + "\n";
    resources += "#SBATCH --gpus-per-node=" + std::to_string(res.gpus_per_node) + "\n";
  } else {
    resources += "#SBATCH --ntasks=" + std::to_string(res.ranks) + "\n";
  }
  if (!res.partition.empty()) resources += "#SBATCH --partition=" + sbatch_value("partition", res.partition) + "\n";
  if (!res.account.empty()) resources += "#SBATCH --account=" + sbatch_value("account", res.account) + "\n";

  std::string launch;
  if (res.launcher == "srun") launch = "srun --mpi=pmix --kill-on-bad-exit=1";
  else if (res.ranks > 1 || res.gpus_per_node > 0) launch = "mpirun -np " + std::to_string(res.ranks);

  std::string init_from;
  if (!run.init_from.empty())
    init_from = "--init-from " + shell_quote(train::RunDir(dir.run_dir(run.init_from)).pin_path(run.start_tokens));

  std::string environment;
  if (res.hdf5_no_file_locking) environment += "export HDF5_USE_FILE_LOCKING=FALSE  # resources.hdf5_no_file_locking\n";

  std::map<std::string, std::string> values = {
      {"TIME_LIMIT", sbatch_value("resources.time_limit", res.time_limit)},
      {"SIGNAL_SECONDS", std::to_string(in.signal_seconds)},
      {"SBATCH_RESOURCES", resources},
      {"MOELAW", shell_quote(in.moelaw_binary)},
      {"CONFIG", shell_quote(dir.config_path(run.name))},
      {"RUN_DIR", shell_quote(dir.run_dir(run.name))},
      {"EXIT_RECORD", shell_quote(dir.exit_path(run.name))},
      {"INIT_FROM", init_from},
      {"WORKDIR", shell_quote(in.workdir)},
      {"ENVIRONMENT", environment},
      {"LAUNCH", launch},
      {"RUN", run.name},
  };
  return render_template(template_text, values, template_name);
}

}  // namespace moelaw::launcher
