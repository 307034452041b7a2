// Group directories: creating a path of groups, listing and removing them.
// Shared by every backend.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "common/result.hpp"

namespace corral::cgroups {

// Creates dir and its missing ancestors below mount; ancestors may exist
// already, the leaf must not (it is this container's alone). Returns the
// directories it created, top first.
Result<std::vector<std::string>> make_group(const std::string& mount, const std::string& group);
// Writes pid into dir/cgroup.procs.
Status add_to_group(const std::string& dir, pid_t pid);
// Pids in dir/cgroup.procs and in every subgroup below it.
Result<std::vector<pid_t>> group_pids(const std::string& dir);
// Removes dir and the subgroups a container may have made under it,
// deepest first; a missing dir is fine.
Status remove_group(const std::string& dir);

} // namespace corral::cgroups
