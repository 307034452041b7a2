// What a container sees at /sys/fs/cgroup when its config mounts type
// "cgroup". On a unified host that is cgroup2 (its cgroup namespace shows the
// container's own group as the root). On a v1 or hybrid host a cgroup2 mount
// would show the hugetlb-only unified tree, and from the host's cgroup
// namespace the whole of it; so, as runc does, the view is a tmpfs with the
// container's own group of every v1 hierarchy bound below it, each read-only
// unless the config asks otherwise.
#pragma once

#include <map>
#include <string>

#include "cgroups/layout.hpp"
#include "ns/rootfs_plan.hpp"

namespace corral::ns {

// Turns every planned "cgroup" mount of `plan` into the v1 view on a legacy
// or hybrid layout; leaves it cgroup2 on a unified one. `container` maps a
// hierarchy key to the container's group directory (Manager::paths()); a
// hierarchy without one (cgroups disabled, rootless without delegation)
// shows the group `own` says this process is in, which the container
// inherits. Pure, so it is tested on recorded layouts.
void plan_cgroup_view(RootfsPlan& plan, const cgroups::Layout& layout,
                      const std::map<std::string, std::string>& container,
                      const std::map<std::string, std::string>& own);

// Child side: builds the v1 view of `m` (whose cgroup_v1 is not empty) on its
// destination in the rootfs.
bool mount_cgroup_v1_view(int root_fd, const MountPlan& m);

} // namespace corral::ns
