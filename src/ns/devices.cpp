// Device nodes and the standard links under the container's /dev. Every
// node is made relative to an in-root fd of its directory, and nothing on
// the way may be a symlink (SECURITY.md class 6): a rootfs whose /dev leads
// elsewhere fails instead of having nodes created wherever it points.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/unique_fd.hpp"
#include "ns/paths.hpp"
#include "ns/rootfs_steps.hpp"

namespace corral::ns::detail {

namespace {

bool same_device(const struct stat& s, const DevicePlan& d) {
    if ((s.st_mode & S_IFMT) != (d.mode & S_IFMT)) return false;
    return S_ISFIFO(s.st_mode) || s.st_rdev == d.dev;
}

// The host's node, bound over a regular file: what a user namespace gets
// instead of mknod, and what we do with a placeholder file in the rootfs.
bool bind_host_device(int dir_fd, const char* name, const DevicePlan& d) {
    const char* shown = d.path.c_str();
    UniqueFd target(::openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target) return child_fail(errno, "open device placeholder", shown);
    struct stat ts {};
    if (::fstat(target.get(), &ts) != 0) return child_fail(errno, "stat device placeholder", shown);
    if (!S_ISREG(ts.st_mode)) return child_fail(EEXIST, "device placeholder is not a file", shown);
    UniqueFd host(::open(shown, O_PATH | O_CLOEXEC));
    if (!host) return child_fail(errno, "open host device", shown);
    struct stat hs {};
    if (::fstat(host.get(), &hs) != 0) return child_fail(errno, "stat host device", shown);
    if (!same_device(hs, d)) return child_fail(ENODEV, "host device does not match", shown);
    char hp[40], tp[40];
    if (::mount(fd_path(hp, sizeof hp, host.get()), fd_path(tp, sizeof tp, target.get()), nullptr,
                MS_BIND, nullptr) != 0)
        return child_fail(errno, "bind host device", shown);
    return true;
}

bool create_device(int dir_fd, const char* name, const DevicePlan& d) {
    const char* shown = d.path.c_str();
    struct stat s {};
    if (::fstatat(dir_fd, name, &s, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(s.st_mode)) return child_fail(ELOOP, "device path is a symlink", shown);
        if (S_ISDIR(s.st_mode)) return child_fail(EISDIR, "device path is a directory", shown);
        if (S_ISREG(s.st_mode)) return bind_host_device(dir_fd, name, d);
        if (!same_device(s, d)) {
            if (::unlinkat(dir_fd, name, 0) != 0)
                return child_fail(errno, "remove mismatched device node", shown);
        }
    } else if (errno != ENOENT) {
        return child_fail(errno, "stat device", shown);
    }
    if (::fstatat(dir_fd, name, &s, AT_SYMLINK_NOFOLLOW) != 0) {
        // The mode is exact: the caller's umask must not strip 0666 to 0644.
        mode_t old = ::umask(0);
        int r = ::mknodat(dir_fd, name, d.mode, d.dev);
        int err = errno;
        ::umask(old);
        if (r != 0) {
            // In a user namespace mknod is EPERM even for root.
            if (err != EPERM || S_ISFIFO(d.mode)) return child_fail(err, "mknod", shown);
            int fd =
                ::openat(dir_fd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0);
            if (fd < 0) return child_fail(errno, "create device placeholder", shown);
            ::close(fd);
            // Not chowned: the name now leads to the host's node.
            return bind_host_device(dir_fd, name, d);
        }
    }
    if (::fchownat(dir_fd, name, d.uid, d.gid, AT_SYMLINK_NOFOLLOW) != 0)
        return child_fail(errno, "chown device", shown);
    return true;
}

struct DevLink {
    const char* name;
    const char* target;
};

constexpr DevLink kLinks[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

bool make_link(int dev_fd, const char* name, const char* target) {
    if (::symlinkat(target, dev_fd, name) == 0 || errno == EEXIST) return true;
    char shown[64];
    std::snprintf(shown, sizeof shown, "/dev/%s", name);
    return child_fail(errno, "create link", shown);
}

} // namespace

bool setup_dev(int root_fd, const RootfsPlan& plan) {
    UniqueFd dev(mkdir_all_in_root(root_fd, "/dev", 0755, RESOLVE_NO_SYMLINKS));
    if (!dev) {
        if (errno == ELOOP) return child_fail(ELOOP, "rootfs /dev must not be a symlink", "/dev");
        return child_fail(errno, "open", "/dev");
    }
    for (const DevicePlan& d : plan.devices) {
        // The plan guarantees "/dev/<something>", lexically clean.
        const char* path = d.path.c_str();
        const char* slash = std::strrchr(path, '/');
        const char* name = slash + 1;
        UniqueFd sub;
        int dir_fd = dev.get();
        if (slash != path + 4) {
            char dir[PATH_MAX];
            std::snprintf(dir, sizeof dir, "%.*s", static_cast<int>(slash - path), path);
            sub.reset(mkdir_all_in_root(root_fd, dir, 0755, RESOLVE_NO_SYMLINKS));
            if (!sub) return child_fail(errno, "create device directory", dir);
            dir_fd = sub.get();
        }
        if (!create_device(dir_fd, name, d)) return false;
    }
    for (const DevLink& l : kLinks)
        if (!make_link(dev.get(), l.name, l.target)) return false;
    // Only where the kernel has one; the host's /proc is still visible here.
    if (::access("/proc/kcore", F_OK) == 0 && !make_link(dev.get(), "core", "/proc/kcore"))
        return false;
    return true;
}

} // namespace corral::ns::detail
