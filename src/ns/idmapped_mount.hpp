// ID-mapped bind mounts (runtime-spec 1.2 idmap/ridmap), built in the parent.
//
// MOUNT_ATTR_IDMAP takes a user namespace fd carrying the mapping. Making one
// means forking a process into a new user namespace and writing its maps,
// which the container init (single-threaded, working from the plan only) must
// not do; and attaching the mapping needs CAP_SYS_ADMIN over the source's
// filesystem, which a container in its own user namespace lacks. So the
// parent clones each source into a detached tree (open_tree), maps it
// (mount_setattr) and leaves the fd in MountPlan::tree_fd; the init only
// moves the tree onto its destination (move_mount).
#pragma once

#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "ns/rootfs_plan.hpp"

namespace corral::ns {

// Owns the detached trees and the helper user namespace fds. Kept alive in
// the parent until the init has been cloned (it inherits copies); closing a
// tree that was never attached unmounts it.
struct IdmappedTrees {
    std::vector<UniqueFd> fds;
};

// Fills tree_fd of every idmap mount of the plan. Does nothing (and opens
// nothing) when no mount is id-mapped or when the rootfs is not set up
// (`enabled` false: the mount namespace is joined).
Result<IdmappedTrees> prepare_idmapped_mounts(RootfsPlan& plan, bool enabled = true);

// A user namespace whose only purpose is to carry these maps: a helper
// process is cloned into it, its maps are written, its ns/user is opened and
// the helper is killed and reaped. The namespace lives on through the fd.
Result<UniqueFd> make_mapping_userns(const std::vector<spec::IdMapping>& uids,
                                     const std::vector<spec::IdMapping>& gids);

} // namespace corral::ns
