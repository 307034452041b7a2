// The container's filesystem view, built by the child after clone(CLONE_NEWNS)
// in three phases the caller runs in order:
//
//   prepare_rootfs   propagation, rootfs self-bind, config mounts, /dev
//   (hooks: createRuntime/createContainer run here, while the host is visible)
//   enter_rootfs     pivot_root (or MS_MOVE + chroot with no_pivot)
//   finish_rootfs    sysctls, readonly paths, masked paths, read-only root
//
// Child-safe: single-threaded, no exceptions; each returns false after
// child_fail() with the container path (or host source) involved.
#pragma once

#include "ns/rootfs_plan.hpp"

namespace corral::ns {

bool prepare_rootfs(const RootfsPlan& plan);
bool enter_rootfs(const RootfsPlan& plan);
bool finish_rootfs(const RootfsPlan& plan);

} // namespace corral::ns
