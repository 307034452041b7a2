// Readonly and masked paths (SECURITY.md class 5, CVE-2025-31133). Applied
// after pivot_root, so every lookup is in the container's own tree; mounts
// go onto fds, never onto re-resolved strings.
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/unique_fd.hpp"
#include "ns/paths.hpp"
#include "ns/rootfs_steps.hpp"

namespace corral::ns::detail {

bool apply_readonly_paths(int root_fd, const RootfsPlan& plan) {
    bool fd_paths_ok = false;
    for (const std::string& path : plan.readonly_paths) {
        const char* p = path.c_str();
        UniqueFd fd(open_in_root(root_fd, p, O_PATH));
        if (!fd) {
            if (errno == ENOENT) continue;
            return child_fail(errno, "open readonly path", p);
        }
        if (!require_fd_paths(&fd_paths_ok)) return false;
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return child_fail(errno, "stat readonly path", p);
        char fp[40];
        fd_path(fp, sizeof fp, fd.get());
        if (::mount(fp, fp, nullptr, MS_BIND | MS_REC, nullptr) != 0)
            return child_fail(errno, "bind readonly path", p);
        UniqueFd top(reopen_mount_root(root_fd, p, &st));
        if (!top) return child_fail(errno, "reopen readonly path", p);
        if (!remount_bind(top.get(), MS_RDONLY, 0, p)) return false;
    }
    return true;
}

bool apply_masked_paths(int root_fd, const RootfsPlan& plan) {
    UniqueFd null_fd; // opened at the first file to mask
    bool fd_paths_ok = false;
    char data[320] = "";
    if (!plan.mount_label.empty())
        std::snprintf(data, sizeof data, "context=\"%s\"", plan.mount_label.c_str());
    for (const std::string& path : plan.masked_paths) {
        const char* p = path.c_str();
        // ENOENT is tolerated here and only here: the kernel may simply not
        // have the file. Any later failure is fatal.
        UniqueFd fd(open_in_root(root_fd, p, O_PATH));
        if (!fd) {
            if (errno == ENOENT) continue;
            return child_fail(errno, "open masked path", p);
        }
        if (!require_fd_paths(&fd_paths_ok)) return false;
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return child_fail(errno, "stat masked path", p);
        char tp[40];
        fd_path(tp, sizeof tp, fd.get());
        if (S_ISDIR(st.st_mode)) {
            if (::mount("tmpfs", tp, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        data[0] ? data : nullptr) != 0)
                return child_fail(errno, "mask directory", p);
            continue;
        }
        if (!null_fd) {
            // The container's /dev/null is rootfs-controlled: a symlink to
            // core_pattern there would turn every masked file into it.
            null_fd.reset(open_in_root(root_fd, "/dev/null", O_PATH, RESOLVE_NO_SYMLINKS));
            if (!null_fd) return child_fail(errno, "open", "/dev/null");
            struct stat ns {};
            if (::fstat(null_fd.get(), &ns) != 0) return child_fail(errno, "stat", "/dev/null");
            if (!S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3))
                return child_fail(ENODEV, "not the null device", "/dev/null");
        }
        char np[40];
        if (::mount(fd_path(np, sizeof np, null_fd.get()), tp, nullptr, MS_BIND, nullptr) != 0)
            return child_fail(errno, "mask file", p);
    }
    return true;
}

} // namespace corral::ns::detail
