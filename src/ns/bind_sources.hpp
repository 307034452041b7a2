// Bind sources of a container with a new user namespace are opened by
// corral, not by the container's setup process: that process already runs as
// the namespace's root, which maps to an unprivileged host uid, and cannot
// reach sources under root-only directories (podman keeps /etc/hosts and
// friends in a 0700 runroot). As runc does, corral (host root) enters the
// container's mount namespace, opens every source there, so the mounts are
// the container's copies with their locked flags, and passes the fds over
// the sync socket.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "ns/rootfs_plan.hpp"

namespace corral::ns {

// Mounts past this index open their source by path, as without a user
// namespace; the table the child fills stays fixed-size.
inline constexpr size_t kMaxParentOpenedSources = 256;

// Whether mount `index` of the plan takes its source fd from corral.
bool source_opened_by_parent(const MountPlan& m, size_t index);

// Parent side: opens the sources in the mount namespace of `pid`, in plan
// order, and returns to corral's own mount namespace and directory.
Result<std::vector<UniqueFd>> open_bind_sources(pid_t pid, const RootfsPlan& plan);

// Child side: the fd received for mount `index`, or -1.
void set_parent_opened_source(size_t index, int fd);
int parent_opened_source(size_t index);

} // namespace corral::ns
