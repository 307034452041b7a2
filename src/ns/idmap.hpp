// Writing a new user namespace's uid/gid maps from the parent, which the
// kernel requires to hold the privilege over the mapped host ids.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::ns {

// "container host size" lines, as /proc/PID/uid_map takes them.
std::string id_map_text(const std::vector<spec::IdMapping>& maps);

// Writes setgroups (when deny_setgroups), gid_map and uid_map of pid. Root
// writes them directly; an unprivileged caller writes a single mapping of
// its own id directly and goes through newuidmap/newgidmap otherwise.
Status write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uids,
                     const std::vector<spec::IdMapping>& gids, bool deny_setgroups);

} // namespace corral::ns
