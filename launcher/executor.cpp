#include "launcher/executor.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "launcher/local_executor.hpp"
#include "launcher/run_state.hpp"
#include "launcher/slurm_executor.hpp"

namespace moelaw::launcher {

namespace {

struct Registration {
  const char* name;
  std::unique_ptr<Executor> (*make)();
};

// The one place that knows every executor, in the order `--executor` lists them.
const Registration kExecutors[] = {
    {"slurm", [] { return std::unique_ptr<Executor>(new SlurmExecutor); }},
    {"local", [] { return std::unique_ptr<Executor>(new LocalExecutor); }},
};

}  // namespace

std::vector<std::string> executor_names() {
  std::vector<std::string> names;
  for (const auto& r : kExecutors) names.push_back(r.name);
  return names;
}

std::string executor_choices() {
  auto names = executor_names();
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return s;
}

std::string executor_help() {
  std::string s;
  for (const auto& r : kExecutors) s += r.make()->help();
  return s;
}

std::unique_ptr<Executor> make_executor(const std::string& name) {
  for (const auto& r : kExecutors)
    if (name == r.name) return r.make();
  throw UsageError("--executor must be " + executor_choices() + ", got \"" + name + "\"");
}

void print_action(const RunStatus& s, const std::string& action) {
  std::printf("%-44s %-10s %s\n", s.name.c_str(), state_name(s.state), action.c_str());
}

std::string now_iso() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&t));
  return buf;
}

void write_job_record(const ExperimentDir& dir, const std::string& run, const nlohmann::json& record) {
  write_file_atomically(dir.record_path(run), {record.dump(2) + "\n"});
}

}  // namespace moelaw::launcher
