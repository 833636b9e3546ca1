#include "cli/args.hpp"

#include <charconv>
#include <cstdlib>

#include "common/errors.hpp"

namespace moelaw::cli {

Args::Args(std::string command, const std::vector<std::string>& argv, std::vector<OptionSpec> specs,
           std::string usage)
    : command_(std::move(command)), usage_(std::move(usage)), specs_(std::move(specs)) {
  bool only_positionals = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positionals || a == "-" || a.size() < 2 || a[0] != '-') {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") { only_positionals = true; continue; }
    if (a == "-h" || a == "--help") { help_ = true; continue; }
    std::string name = a, inline_value;
    bool has_inline = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
      has_inline = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs_)
      if (s.name == name) spec = &s;
    if (!spec) fail("unknown option '" + name + "' (see moelaw " + command_ + " --help)");
    if (!spec->repeatable && seen_.count(name)) fail("option " + name + " given twice");
    if (spec->takes_value) {
      if (!has_inline) {
        if (i + 1 >= argv.size()) fail("option " + name + " needs a value");
        inline_value = argv[++i];
      }
      seen_[name].push_back(inline_value);
    } else {
      if (has_inline) fail("option " + name + " takes no value");
      seen_[name].push_back("");
    }
  }
}

bool Args::flag(const std::string& name) const { return seen_.count(name) > 0; }

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = seen_.find(name);
  if (it == seen_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = seen_.find(name);
  return it == seen_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<long long> Args::integer(const std::string& name) const {
  auto v = value(name);
  if (!v) return std::nullopt;
  long long out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size())
    fail("option " + name + " expects an integer, got '" + *v + "'");
  return out;
}

std::optional<double> Args::real(const std::string& name) const {
  auto v = value(name);
  if (!v) return std::nullopt;
  char* end = nullptr;
  double out = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0') fail("option " + name + " expects a number, got '" + *v + "'");
  return out;
}

void Args::fail(const std::string& message) const {
  throw UsageError("moelaw " + command_ + ": " + message);
}

void Args::expect_positionals(size_t min, size_t max) const {
  if (positionals_.size() < min || positionals_.size() > max)
    fail(positionals_.size() < min ? "missing argument\nusage: " + usage_.substr(0, usage_.find('\n'))
                                   : "unexpected argument '" + positionals_[max] + "'");
}

}  // namespace moelaw::cli
