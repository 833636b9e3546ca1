#pragma once
// A small, strict command-line parser shared by every subcommand: options are declared up front,
// anything undeclared is a usage error (exit 2), and --help prints the command's usage text.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moelaw::cli {

struct OptionSpec {
  std::string name;      // "--out"
  bool takes_value;      // "--out DIR" or "--out=DIR"
  bool repeatable = false;
};

class Args {
 public:
  Args(std::string command, const std::vector<std::string>& argv, std::vector<OptionSpec> specs,
       std::string usage);

  bool help() const { return help_; }
  const std::string& usage() const { return usage_; }
  bool flag(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Typed accessors: a malformed number is a usage error naming the option.
  std::optional<long long> integer(const std::string& name) const;
  std::optional<double> real(const std::string& name) const;

  // Usage errors: "moelaw CMD: message".
  [[noreturn]] void fail(const std::string& message) const;
  void expect_positionals(size_t min, size_t max) const;

 private:
  std::string command_;
  std::string usage_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::vector<std::string>> seen_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

}  // namespace moelaw::cli
