#pragma once
// Renders one run's batch script from a template (slurm/job.sbatch.in, compiled in as the
// default). The same script serves both executors: sbatch runs it on a cluster, the local
// executor runs it with bash on this machine.
#include <map>
#include <string>

#include "launcher/experiment.hpp"
#include "launcher/experiment_dir.hpp"
#include "launcher/plan.hpp"

namespace moelaw::launcher {

const char* default_job_template();

// 'text' with every ' written as '\'' : a single shell word whatever the text holds.
std::string shell_quote(const std::string& text);

// Replaces each @KEY@ of `values` in `template_text`; a placeholder left over is an error
// naming `template_name`.
std::string render_template(const std::string& template_text, const std::map<std::string, std::string>& values,
                            const std::string& template_name);

struct JobScriptInputs {
  std::string moelaw_binary;  // absolute path of the moelaw that submits
  std::string workdir;        // where relative data paths in the configuration are resolved
  int signal_seconds = 120;   // how long before the time limit SLURM asks for a checkpoint
};

std::string render_job_script(const std::string& template_text, const std::string& template_name,
                              const Experiment& experiment, const PlannedRun& run,
                              const ExperimentDir& dir, const JobScriptInputs& inputs);

}  // namespace moelaw::launcher
