#include "config/loader.hpp"

#include <cmath>
#include <sstream>

#include <toml++/toml.h>

#include "common/errors.hpp"
#include "common/file_io.hpp"

namespace moelaw::config {

namespace {

const KeySpec* find_spec(const Schema& schema, const std::string& key) {
  for (const auto& s : schema)
    if (s.key == key) return &s;
  return nullptr;
}

std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

std::string format_number(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

[[noreturn]] void fail_at(const std::string& where, const std::string& key, const std::string& msg) {
  throw UsageError(where + ": key '" + key + "': " + msg);
}

void check_range(const KeySpec& spec, double x, const std::string& where) {
  if (!std::isfinite(x)) fail_at(where, spec.key, "must be finite");
  if (spec.min && x < *spec.min)
    fail_at(where, spec.key, "must be >= " + format_number(*spec.min) + ", got " + format_number(x));
  if (spec.max && x > *spec.max)
    fail_at(where, spec.key, "must be <= " + format_number(*spec.max) + ", got " + format_number(x));
}

// Converts a TOML node to the spec's type, or fails naming where and what was expected.
Value convert(const KeySpec& spec, const toml::node& n, const std::string& where) {
  auto wrong = [&]() {
    fail_at(where, spec.key,
            std::string("expected ") + type_name(spec.type) + ", got " + describe(n));
  };
  switch (spec.type) {
    case Type::Integer: {
      if (!n.is_integer()) wrong();
      int64_t v = *n.value<int64_t>();
      check_range(spec, static_cast<double>(v), where);
      return v;
    }
    case Type::Real: {
      if (!n.is_number()) wrong();
      double v = *n.value<double>();
      check_range(spec, v, where);
      return v;
    }
    case Type::Boolean:
      if (!n.is_boolean()) wrong();
      return *n.value<bool>();
    case Type::String: {
      if (!n.is_string()) wrong();
      std::string v = *n.value<std::string>();
      if (!spec.choices.empty()) {
        bool ok = false;
        std::string list;
        for (const auto& c : spec.choices) {
          ok = ok || c == v;
          list += (list.empty() ? "" : ", ") + ("\"" + c + "\"");
        }
        if (!ok) fail_at(where, spec.key, "must be one of " + list + ", got \"" + v + "\"");
      }
      return v;
    }
    case Type::RealOrAuto: {
      if (n.is_string()) {
        if (*n.value<std::string>() != "auto")
          fail_at(where, spec.key, "expected a number or \"auto\", got \"" +
                                       *n.value<std::string>() + "\"");
        return std::string("auto");
      }
      if (!n.is_number()) wrong();
      double v = *n.value<double>();
      check_range(spec, v, where);
      return v;
    }
    case Type::IntegerList: {
      if (!n.is_array()) wrong();
      std::vector<int64_t> out;
      for (const auto& e : *n.as_array()) {
        if (!e.is_integer())
          fail_at(where, spec.key, "expected an array of integers, found " + describe(e));
        out.push_back(*e.value<int64_t>());
        check_range(spec, static_cast<double>(out.back()), where);
      }
      return out;
    }
    case Type::StringList: {
      if (n.is_string()) return std::vector<std::string>{*n.value<std::string>()};
      if (!n.is_array()) wrong();
      std::vector<std::string> out;
      for (const auto& e : *n.as_array()) {
        if (!e.is_string())
          fail_at(where, spec.key, "expected an array of strings, found " + describe(e));
        out.push_back(*e.value<std::string>());
      }
      return out;
    }
  }
  throw std::logic_error("unhandled configuration type");
}

void walk(const Schema& schema, const toml::table& table, const std::string& prefix,
          const std::string& source, std::map<std::string, Value>& values,
          std::map<std::string, Origin>& origins) {
  for (auto&& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    std::string where = located(source, static_cast<long>(k.source().begin.line), "");
    where.resize(where.size() - 2);  // drop the ": " located() appends for an empty message
    if (node.is_table() && !find_spec(schema, key)) {
      bool is_section = false;
      for (const auto& s : schema) is_section = is_section || s.key.rfind(key + ".", 0) == 0;
      if (!is_section) throw UsageError(where + ": unknown section [" + key + "]");
      walk(schema, *node.as_table(), key, source, values, origins);
      continue;
    }
    const KeySpec* spec = find_spec(schema, key);
    if (!spec) throw UsageError(where + ": unknown key '" + key + "'");
    values[key] = convert(*spec, node, where);
    origins[key] = Origin{where};
  }
}

}  // namespace

const char* type_name(Type t) {
  switch (t) {
    case Type::Integer: return "an integer";
    case Type::Real: return "a number";
    case Type::Boolean: return "a boolean";
    case Type::String: return "a string";
    case Type::RealOrAuto: return "a number or \"auto\"";
    case Type::IntegerList: return "an array of integers";
    case Type::StringList: return "a string or an array of strings";
  }
  return "?";
}

Resolved load(const Schema& schema, const std::string& toml_text, const std::string& source_name,
              const std::vector<std::string>& overrides,
              const std::vector<std::string>& override_origins) {
  Resolved r;
  r.schema_ = &schema;
  r.source_name_ = source_name;
  toml::table root;
  try {
    root = toml::parse(std::string_view(toml_text), std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    throw UsageError(located(source_name, static_cast<long>(e.source().begin.line),
                             "invalid TOML: " + std::string(e.description())));
  }
  walk(schema, root, "", source_name, r.values_, r.origins_);

  for (size_t i = 0; i < overrides.size(); ++i) {
    const std::string& o = overrides[i];
    auto eq = o.find('=');
    std::string where = i < override_origins.size() ? override_origins[i] : "--set " + o;
    if (eq == std::string::npos || eq == 0) throw UsageError(where + ": expected KEY=VALUE");
    std::string key = o.substr(0, eq), text = o.substr(eq + 1);
    const KeySpec* spec = find_spec(schema, key);
    if (!spec) throw UsageError(where + ": unknown key '" + key + "'");
    // The value is read as TOML (numbers, booleans, arrays, quoted strings); anything that is not
    // valid TOML is taken as a bare string so that paths and globs need no quotes.
    toml::table parsed;
    try {
      parsed = toml::parse(std::string_view("v = " + text), std::string_view("--set"));
    } catch (const toml::parse_error&) {
      parsed = toml::table{{"v", text}};
    }
    r.values_[key] = convert(*spec, *parsed.get("v"), where);
    r.origins_[key] = Origin{where};
  }

  for (const auto& spec : schema) {
    if (r.values_.count(spec.key)) continue;
    if (!spec.fallback) throw UsageError(source_name + ": required key '" + spec.key + "' is missing");
    r.values_[spec.key] = *spec.fallback;
    r.origins_[spec.key] = Origin{source_name + " (default)"};
  }
  return r;
}

Resolved load_file(const Schema& schema, const std::string& path,
                   const std::vector<std::string>& overrides) {
  return load(schema, read_file(path, "cannot open configuration file"), path, overrides);
}

const Value& Resolved::value(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::logic_error("configuration key not in schema: " + key);
  return it->second;
}

const Origin& Resolved::origin(const std::string& key) const { return origins_.at(key); }

bool Resolved::explicitly_set(const std::string& key) const {
  return origins_.at(key).text.find("(default)") == std::string::npos;
}

int64_t Resolved::integer(const std::string& key) const { return std::get<int64_t>(value(key)); }
double Resolved::real(const std::string& key) const {
  const Value& v = value(key);
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}
bool Resolved::boolean(const std::string& key) const { return std::get<bool>(value(key)); }
const std::string& Resolved::string(const std::string& key) const {
  return std::get<std::string>(value(key));
}
const std::vector<int64_t>& Resolved::integers(const std::string& key) const {
  return std::get<std::vector<int64_t>>(value(key));
}
const std::vector<std::string>& Resolved::strings(const std::string& key) const {
  return std::get<std::vector<std::string>>(value(key));
}
bool Resolved::is_auto(const std::string& key) const {
  return std::holds_alternative<std::string>(value(key));
}

void Resolved::fail(const std::string& key, const std::string& message) const {
  fail_at(origin(key).text, key, message);
}

std::string Resolved::to_toml() const {
  toml::table root;
  for (const auto& spec : *schema_) {
    const Value& v = values_.at(spec.key);
    auto dot = spec.key.rfind('.');
    toml::table* table = &root;
    if (dot != std::string::npos) {
      std::string section = spec.key.substr(0, dot);
      // Sections are one level deep ("model.d_model"); deeper keys nest accordingly.
      size_t start = 0;
      while (start <= section.size()) {
        size_t end = section.find('.', start);
        if (end == std::string::npos) end = section.size();
        std::string part = section.substr(start, end - start);
        if (!table->contains(part)) table->insert(part, toml::table{});
        table = table->get_as<toml::table>(part);
        start = end + 1;
      }
    }
    std::string leaf = spec.key.substr(dot == std::string::npos ? 0 : dot + 1);
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                        std::is_same_v<T, std::vector<std::string>>) {
            toml::array a;
            for (const auto& e : x) a.push_back(e);
            table->insert_or_assign(leaf, std::move(a));
          } else {
            table->insert_or_assign(leaf, x);
          }
        },
        v);
  }
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

}  // namespace moelaw::config
