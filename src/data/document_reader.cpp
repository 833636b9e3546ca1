#include "data/document_reader.hpp"

#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "common/file_io.hpp"

namespace moelaw::data {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_whole(std::istream& in) {
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

DocumentReader::DocumentReader(std::vector<std::string> inputs) : inputs_(std::move(inputs)) {
  for (const auto& p : inputs_)
    if (p != "-" && !ends_with(p, ".txt") && !ends_with(p, ".jsonl"))
      throw UsageError(p + ": unknown input type (expected .txt, .jsonl or - for stdin)");
}

std::optional<std::string> DocumentReader::next() {
  while (true) {
    if (jsonl_) {
      std::string line;
      while (std::getline(*jsonl_, line)) {
        ++line_;
        bytes_ += line.size() + 1;
        if (line.empty() || line == "\r") continue;
        nlohmann::json j;
        try {
          j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
          throw UsageError(located(jsonl_path_, line_, std::string("not valid JSON: ") + e.what()));
        }
        if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
          throw UsageError(located(jsonl_path_, line_, "no string field \"text\""));
        return j["text"].get<std::string>();
      }
      if (jsonl_->bad()) throw std::runtime_error(jsonl_path_ + ": read error");
      jsonl_.reset();
    }
    if (index_ >= inputs_.size()) return std::nullopt;
    const std::string& path = inputs_[index_++];
    if (path == "-") {
      std::string text = read_whole(std::cin);
      bytes_ += text.size();
      return text;
    }
    if (ends_with(path, ".jsonl")) {
      jsonl_ = std::make_unique<std::ifstream>(path, std::ios::binary);
      if (!*jsonl_) throw UsageError(path + ": cannot open");
      jsonl_path_ = path;
      line_ = 0;
      continue;
    }
    std::string text = read_file(path);
    bytes_ += text.size();
    return text;
  }
}

}  // namespace moelaw::data
