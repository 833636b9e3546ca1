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

// As write_file_atomically, unless the file holds exactly `text` already: a resubmission leaves
// the files of running jobs alone. True when it wrote.
bool write_file_atomically_if_changed(const std::string& path, const std::string& text);

// For writers that fill the temporary themselves (an HDF5 file written tensor by tensor): the
// temporary name beside `path` (hidden, with this process's id)...
std::string temporary_path_for(const std::string& path);
// ...and, once it is complete and closed, the rest: fsync, rename over `path`, fsync of the
// directory. On failure the temporary is removed and std::runtime_error names `path`.
void commit_temporary(const std::string& temporary, const std::string& path);

}  // namespace moelaw
