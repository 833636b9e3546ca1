#pragma once
// Reads documents for tokenization: a .txt file is one document, each line of a .jsonl file is one
// (its "text" field, as FineWeb-Edu exports), and "-" is stdin as one document.
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace moelaw::data {

class DocumentReader {
 public:
  explicit DocumentReader(std::vector<std::string> inputs);
  // The next document, or nullopt at the end. A malformed .jsonl line is a UsageError naming
  // the file and line; an unreadable file names the file.
  std::optional<std::string> next();
  uint64_t bytes_read() const { return bytes_; }

 private:
  bool open_next();

  std::vector<std::string> inputs_;
  size_t index_ = 0;
  std::unique_ptr<std::ifstream> jsonl_;
  std::string jsonl_path_;
  long line_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace moelaw::data
