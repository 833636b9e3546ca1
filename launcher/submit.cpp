#include "launcher/submit.hpp"

#include <cstdio>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "launcher/executor.hpp"
#include "launcher/experiment_dir.hpp"
#include "launcher/job_script.hpp"
#include "launcher/plan_json.hpp"
#include "launcher/submit_checks.hpp"

namespace moelaw::launcher {

namespace fs = std::filesystem;

namespace {


// The files every job needs: plan, configurations, scripts. A run whose job is active keeps its
// files (they are identical unless the experiment changed, and then the change applies to the
// next job of that run).
void write_experiment_files(const Experiment& exp, const Plan& plan, const ExperimentDir& dir,
                            const std::vector<std::string>& scripts) {
  dir.create();
  write_file_atomically(dir.plan_path(), {plan_to_json(exp, plan).dump(2) + "\n"});
  write_file_atomically_if_changed(dir.experiment_copy_path(), read_file(exp.path, "cannot read"));
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    write_file_atomically_if_changed(dir.config_path(plan.runs[i].name), plan.runs[i].config_toml);
    write_file_atomically_if_changed(dir.script_path(plan.runs[i].name), scripts[i]);
  }
}

}  // namespace

int submit(const Experiment& exp, Plan plan, const SubmitOptions& opt) {
  auto executor = make_executor(opt.executor);
  const std::string template_name = opt.template_path.empty() ? "slurm/job.sbatch.in (built in)" : opt.template_path;
  const std::string template_text = opt.template_path.empty() ? default_job_template() : read_file(opt.template_path, "cannot read");
  ExperimentDir dir(opt.exp_dir);
  if (fs::exists(dir.root()) && !fs::is_directory(dir.root())) throw UsageError(dir.root() + ": not a directory");
  // Everything a job will need is checked before anything is written or queued.
  resolve_relative_paths(plan, opt.workdir);
  check_run_inputs(plan, dir);
  JobScriptInputs inputs{opt.moelaw_binary, opt.workdir, opt.signal_seconds};
  std::vector<std::string> scripts;  // rendered now: template errors show before anything is written
  for (const auto& run : plan.runs) scripts.push_back(render_job_script(template_text, template_name, exp, run, dir, inputs));
  const nlohmann::json plan_json = plan_to_json(exp, plan);
  const SubmitContext context{exp, plan, plan_json, dir, opt};

  if (opt.dry_run) {
    std::printf("dry run: nothing is written or started in %s\n", dir.root().c_str());
    if (!scripts.empty())
      std::printf("--- batch script of %s ---\n%s--- end ---\n", plan.runs[0].name.c_str(), scripts[0].c_str());
    return executor->submit(context);
  }
  fs::create_directories(dir.root());
  SubmitLock lock(dir);
  write_experiment_files(exp, plan, dir, scripts);
  return executor->submit(context);
}

}  // namespace moelaw::launcher
