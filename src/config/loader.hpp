#pragma once
// Strict TOML loading against a schema. Unknown keys, wrong types and out-of-range values are
// UsageErrors naming the file, line and key; `--set KEY=VALUE` overrides get the same checks.
#include <map>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace moelaw::config {

// Where a value came from, for error messages: "exp.toml:12", "--set model.d_model=96", "default".
struct Origin {
  std::string text;
};

class Resolved {
 public:
  const Schema& schema() const { return *schema_; }
  const std::string& source_name() const { return source_name_; }

  int64_t integer(const std::string& key) const;
  double real(const std::string& key) const;
  bool boolean(const std::string& key) const;
  const std::string& string(const std::string& key) const;
  const std::vector<int64_t>& integers(const std::string& key) const;
  const std::vector<std::string>& strings(const std::string& key) const;
  // For RealOrAuto keys: true when the value is "auto".
  bool is_auto(const std::string& key) const;
  const Value& value(const std::string& key) const;
  const Origin& origin(const std::string& key) const;
  bool explicitly_set(const std::string& key) const;

  // Throws a UsageError "ORIGIN: key 'KEY': MESSAGE" for a value that fails a cross-key check.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  // The whole configuration as TOML text, every key present (defaults included).
  std::string to_toml() const;

 private:
  friend Resolved load(const Schema&, const std::string&, const std::string&,
                       const std::vector<std::string>&, const std::vector<std::string>&);
  const Schema* schema_ = nullptr;
  std::string source_name_;
  std::map<std::string, Value> values_;
  std::map<std::string, Origin> origins_;
};

// Loads TOML text (source_name is the file name used in messages) and applies overrides
// ("KEY=VALUE", VALUE in TOML syntax or a bare string). override_origins, if given, says where
// each override came from in messages (default: "--set KEY=VALUE").
Resolved load(const Schema& schema, const std::string& toml_text, const std::string& source_name,
              const std::vector<std::string>& overrides,
              const std::vector<std::string>& override_origins = {});
// Reads the file, then as load(); a missing or unreadable file is a UsageError.
Resolved load_file(const Schema& schema, const std::string& path,
                   const std::vector<std::string>& overrides);

}  // namespace moelaw::config
