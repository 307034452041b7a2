// Reading and writing cgroup control files through a group's directory fd,
// so a controller never re-resolves a path and unit tests can point it at a
// temporary directory.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace corral::cgroups {

// "max" in a control file, and the value corral writes for "no limit".
inline constexpr uint64_t kMax = UINT64_MAX;

// Writes value to name (no O_CREAT: a missing file is ENOENT, named in the
// error with the value, e.g. `write cgroup file memory.max "100": ...`).
Status write_file(int dir, const std::string& name, const std::string& value);
// The file's content without its final newline.
Result<std::string> read_file(int dir, const std::string& name);
bool file_exists(int dir, const std::string& name);

// A single number, or "max" → kMax.
Result<uint64_t> parse_value(const std::string& text);
// "key value" lines (memory.stat, cpu.stat, memory.events, pids.events).
std::map<std::string, uint64_t> parse_flat_keyed(const std::string& text);
// Whitespace-separated words (cgroup.controllers, cgroup.subtree_control).
std::vector<std::string> split_words(const std::string& text);

} // namespace corral::cgroups
