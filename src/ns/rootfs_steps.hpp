// Steps shared by rootfs.cpp, devices.cpp and masks.cpp. Internal to src/ns.
#pragma once

#include <sys/stat.h>

#include "ns/rootfs_plan.hpp"

namespace corral::ns::detail {

// The per-mount flags a MS_REMOUNT|MS_BIND can change; statvfs reports them
// with the same bit values (ST_RDONLY == MS_RDONLY ...).
constexpr unsigned long kPerMountFlags = 0x1 | 0x2 | 0x4 | 0x8 | 0x400 | 0x800 | 0x1000;

// After mounting on "/proc/self/fd/N", N still names the covered directory:
// later changes need a fresh in-root lookup that lands on the new mount.
// Checks that the result is a mount root and, with `expect`, that it is that
// inode (a bind's root is its source). -1 with errno; EAGAIN on mismatch.
int reopen_mount_root(int root_fd, const char* path, const struct stat* expect);

// MS_REMOUNT|MS_BIND of the mount whose root is `fd`: its current per-mount
// flags (statvfs), minus `clear`, plus `set`. Starting from the current
// flags keeps what the config did not mention, and keeps the nosuid/nodev/
// noexec/atime flags a user namespace locks (dropping them is EPERM).
// `target` replaces "/proc/self/fd/N" when the path itself is safe ("/").
bool remount_bind(int fd, unsigned long set, unsigned long clear, const char* shown,
                  const char* target = nullptr);

// Mounting through "/proc/self/fd/N" after pivot_root relies on the
// container's /proc: checks once (per *checked) that it is a real procfs root.
bool require_fd_paths(bool* checked);

bool setup_dev(int root_fd, const RootfsPlan& plan);
bool apply_readonly_paths(int root_fd, const RootfsPlan& plan);
bool apply_masked_paths(int root_fd, const RootfsPlan& plan);

} // namespace corral::ns::detail
