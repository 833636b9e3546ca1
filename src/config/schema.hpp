#pragma once
// A configuration schema: every key a TOML file may hold, its type, default and range.
// Loading (config/loader.hpp) checks a file and --set overrides against a schema.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace moelaw::config {

enum class Type {
  Integer,        // int64
  Real,           // double; TOML integers are accepted
  Boolean,
  String,
  RealOrAuto,     // a number, or the string "auto" (stored as the string)
  IntegerList,    // array of int64
  StringList,     // array of strings; a single string is accepted as a one-element list
};

using Value = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>,
                           std::vector<std::string>>;

struct KeySpec {
  std::string key;               // dotted: "model.d_model"
  Type type;
  std::optional<Value> fallback; // absent: the key is required
  std::optional<double> min;     // inclusive bounds for numbers (and every list element)
  std::optional<double> max;
  std::vector<std::string> choices;  // allowed strings, if any
  std::string doc;
};

using Schema = std::vector<KeySpec>;

const char* type_name(Type t);

}  // namespace moelaw::config
