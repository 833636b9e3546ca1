#pragma once
// Writes a file so that a crash at any instant leaves either the old file or the complete new
// one under its name: the bytes go to a temporary name in the same directory, are synced, renamed
// over the final name, and the directory is synced. A failed write (disk full, file-size limit)
// throws std::runtime_error naming the file and removes the temporary; the old file is untouched.
#include <string>
#include <string_view>
#include <vector>

namespace moelaw {

void write_file_atomically(const std::string& path, const std::vector<std::string_view>& parts);

}  // namespace moelaw
