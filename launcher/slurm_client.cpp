#include "launcher/slurm_client.hpp"

#include <set>
#include <sstream>
#include <stdexcept>

#include "launcher/process.hpp"

namespace moelaw::launcher {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

bool SlurmJob::active() const {
  static const std::set<std::string> finished = {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL",
                                                 "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", "REVOKED"};
  return !state.empty() && !finished.count(state);
}

bool SlurmJob::running() const { return state == "RUNNING" || state == "COMPLETING" || state == "CONFIGURING"; }

std::vector<SlurmJob> SlurmClient::jobs_with_prefix(const std::string& prefix) const {
  // Every job squeue still knows, finished ones included (--states=all), one per line.
  std::vector<std::string> argv = {"squeue", "--noheader", "--states=all", "--format=%i|%j|%T|%r|%E"};
  auto r = run_process(argv);
  if (r.status != 0) throw std::runtime_error(command_line(argv) + " failed: " + trim(r.err));
  std::vector<SlurmJob> jobs;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, '|')) f.push_back(trim(cell));
    if (f.size() < 3 || f[1].rfind(prefix, 0) != 0) continue;
    f.resize(5);
    jobs.push_back({f[0], f[1], f[2], f[3], f[4] == "(null)" ? "" : f[4]});
  }
  return jobs;
}

std::string SlurmClient::submit(const std::string& script, const std::vector<std::string>& options) const {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(script);
  auto r = run_process(argv);
  std::string id = trim(r.out);
  if (auto semi = id.find(';'); semi != std::string::npos) id = id.substr(0, semi);  // "id;cluster"
  if (r.status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error(command_line(argv) + " failed (status " + std::to_string(r.status) + "): " + trim(r.err));
  return id;
}

void SlurmClient::cancel(const std::string& job_id) const {
  std::vector<std::string> argv = {"scancel", job_id};
  auto r = run_process(argv);
  if (r.status != 0) throw std::runtime_error(command_line(argv) + " failed: " + trim(r.err));
}

}  // namespace moelaw::launcher
