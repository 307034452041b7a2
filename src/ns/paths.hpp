// In-root path resolution (SECURITY.md class 4). The rootfs is hostile: any
// component may be a symlink to "/" or "../../..", and a racer may swap
// components while we work. Every function here resolves inside root_fd and
// hands back an fd; callers act on "/proc/self/fd/N" of that fd, never on a
// re-resolved string. Child-safe: no heap, no exceptions; they return -1
// with errno set, and leave child_fail() to the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <linux/openat2.h> // RESOLVE_* for extra_resolve
#include <sys/types.h>

namespace corral::ns {

// open(2) of `path` as if root_fd were "/": ".." and absolute symlinks are
// clamped to root_fd, magic links are refused. `flags` as for openat
// (O_CLOEXEC is always added); `extra_resolve` adds RESOLVE_* bits, e.g.
// RESOLVE_NO_SYMLINKS. Uses openat2 and falls back to walk_in_root on ENOSYS.
int open_in_root(int root_fd, const char* path, int flags, uint64_t extra_resolve = 0);

// The fallback: a component-by-component walk that reads symlinks itself.
// It keeps an fd for every directory on the way down, so ".." returns to the
// fd it came from and can never climb above root_fd, even when a racer moves
// a directory out of the rootfs mid-walk. Honours RESOLVE_NO_SYMLINKS.
int walk_in_root(int root_fd, const char* path, int flags, uint64_t extra_resolve = 0);

// Like open_in_root(O_PATH|O_DIRECTORY) but creates missing directories
// (mkdirat, mode before umask), including the target of a dangling symlink,
// which therefore lands inside the root too.
int mkdir_all_in_root(int root_fd, const char* path, mode_t mode, uint64_t extra_resolve = 0);

// The mountpoint for a mount: a directory, or an empty regular file (0644,
// created O_CREAT|O_EXCL|O_NOFOLLOW) for a bind of a file. Returns an O_PATH
// fd of it. An existing object of the other kind gives ENOTDIR / EISDIR.
int create_mountpoint(int root_fd, const char* path, bool is_dir, uint64_t extra_resolve = 0);

// "/proc/self/fd/N" into buf (at least 32 bytes); returns buf.
const char* fd_path(char* buf, size_t size, int fd);

// Tests (and the degraded-kernel lane) force the fallback walk.
void set_openat2_disabled(bool disabled);
bool openat2_disabled();

} // namespace corral::ns
