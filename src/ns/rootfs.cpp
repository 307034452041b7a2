#include "ns/rootfs.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"
#include "ns/bind_sources.hpp"
#include "ns/cgroup_view.hpp"
#include "ns/copy_up.hpp"
#include "ns/paths.hpp"
#include "ns/procfs.hpp"
#include "ns/rootfs_steps.hpp"

namespace corral::ns {

namespace {

constexpr unsigned long kBindBits = MS_BIND | MS_REC;

bool under_dir(const char* path, const char* dir) {
    size_t n = std::strlen(dir);
    return std::strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

// pivot_root(2) and MS_MOVE refuse a new root whose parent mount is shared.
// The mount holding the rootfs is found by walking up from it: MS_PRIVATE
// on a path that is not a mount point is EINVAL.
bool make_rootfs_parent_private(const char* rootfs) {
    char path[PATH_MAX];
    if (std::snprintf(path, sizeof path, "%s", rootfs) >= static_cast<int>(sizeof path))
        return child_fail(ENAMETOOLONG, "rootfs path", rootfs);
    for (;;) {
        if (::mount(nullptr, path, nullptr, MS_PRIVATE, nullptr) == 0) return true;
        if (errno != EINVAL || std::strcmp(path, "/") == 0)
            return child_fail(errno, "make rootfs parent mount private", path);
        char* slash = std::strrchr(path, '/');
        if (slash == path)
            path[1] = '\0';
        else
            *slash = '\0';
    }
}

// A destination that resolved into procfs although the config did not name
// a /proc path means a symlink in the rootfs (or a racer) steered it there:
// CVE-2019-19921 used exactly that to cover /proc files.
bool refuse_procfs_target(int fd, const MountPlan& m) {
    struct statfs sfs {};
    if (::fstatfs(fd, &sfs) != 0)
        return child_fail(errno, "statfs mount destination", m.destination.c_str());
    if (sfs.f_type == PROC_SUPER_MAGIC && !under_dir(m.destination.c_str(), "/proc"))
        return child_fail(EXDEV, "mount destination resolves into procfs", m.destination.c_str());
    return true;
}

// Remount, recursive attributes and propagation all need the new mount's
// root, which "/proc/self/fd/N" of the destination fd is not.
bool after_mount(int root_fd, const MountPlan& m, const struct stat* bind_src) {
    const char* dest = m.destination.c_str();
    bool remount = m.bind && m.remount_after_bind;
    bool attrs = m.attr_set != 0 || m.attr_clr != 0;
    if (!remount && !attrs && m.propagation == 0) return true;
    UniqueFd top(detail::reopen_mount_root(root_fd, dest, bind_src));
    if (!top) return child_fail(errno, "reopen mount", dest);
    if (remount &&
        !detail::remount_bind(top.get(), m.flags & ~(kBindBits | MS_REMOUNT), m.clear_flags, dest))
        return false;
    if (attrs) {
        struct mount_attr attr {};
        attr.attr_set = m.attr_set;
        attr.attr_clr = m.attr_clr;
        if (::mount_setattr(top.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
            return child_fail(errno, "set recursive mount attributes", dest);
    }
    if (m.propagation != 0) {
        char p[40];
        if (::mount(nullptr, fd_path(p, sizeof p, top.get()), nullptr, m.propagation, nullptr) != 0)
            return child_fail(errno, "set mount propagation", dest);
    }
    return true;
}

bool bind_one(int root_fd, const MountPlan& m, int parent_fd) {
    const char* dest = m.destination.c_str();
    // The source is pinned by fd so the type we create the mountpoint for,
    // the inode we bind and the one we later verify are the same object.
    UniqueFd src(parent_fd >= 0 ? parent_fd : ::open(m.source.c_str(), O_PATH | O_CLOEXEC));
    if (!src) return child_fail(errno, "open mount source", m.source.c_str());
    struct stat st {};
    if (::fstat(src.get(), &st) != 0)
        return child_fail(errno, "stat mount source", m.source.c_str());
    UniqueFd dst(create_mountpoint(root_fd, dest, S_ISDIR(st.st_mode)));
    if (!dst) return child_fail(errno, "create mountpoint", dest);
    if (!refuse_procfs_target(dst.get(), m)) return false;
    char sp[40], dp[40];
    if (::mount(fd_path(sp, sizeof sp, src.get()), fd_path(dp, sizeof dp, dst.get()), nullptr,
                m.flags & kBindBits, nullptr) != 0)
        return child_fail(errno, "bind mount", dest);
    return after_mount(root_fd, m, &st);
}

// The parent cloned and id-mapped the source already (idmapped_mount.hpp):
// only the mountpoint and the move are left, then the usual remount pass.
bool move_idmapped(int root_fd, const MountPlan& m) {
    const char* dest = m.destination.c_str();
    if (m.tree_fd < 0) return child_fail(EINVAL, "id-mapped mount was not prepared", dest);
    // The tree's root is the source inode (with mapped owners only), so it
    // decides the mountpoint type and is what after_mount verifies.
    struct stat st {};
    if (::fstat(m.tree_fd, &st) != 0) return child_fail(errno, "stat id-mapped source", dest);
    UniqueFd dst(create_mountpoint(root_fd, dest, S_ISDIR(st.st_mode)));
    if (!dst) return child_fail(errno, "create mountpoint", dest);
    if (!refuse_procfs_target(dst.get(), m)) return false;
    // T_EMPTY_PATH mounts on exactly the inode we resolved in-root.
    if (::move_mount(m.tree_fd, "", dst.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        return child_fail(errno, "move id-mapped mount", dest);
    return after_mount(root_fd, m, &st);
}

bool copy_up(int root_fd, const MountPlan& m, int covered) {
    const char* dest = m.destination.c_str();
    UniqueFd top(detail::reopen_mount_root(root_fd, dest, nullptr));
    if (!top) return child_fail(errno, "reopen mount", dest);
    UniqueFd dir(::openat(top.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return child_fail(errno, "open", dest);
    if (!copy_tree(covered, dir.get(), dest)) return false;
    if ((m.flags & MS_RDONLY) && !detail::remount_bind(top.get(), m.flags, 0, dest)) return false;
    return true;
}

bool mount_one(int root_fd, const MountPlan& m, size_t index) {
    const char* dest = m.destination.c_str();
    if (m.idmap) return move_idmapped(root_fd, m);
    if (!m.cgroup_v1.empty()) return mount_cgroup_v1_view(root_fd, m);
    if (m.bind) return bind_one(root_fd, m, parent_opened_source(index));
    // procfs and sysfs only go onto plain directories: a symlinked /proc
    // would let the rootfs choose where the real procfs lands, and every
    // later procfs write depends on it (CVE-2019-16884).
    bool plain_dir = m.fstype == "proc" || m.fstype == "sysfs";
    UniqueFd dst(mkdir_all_in_root(root_fd, dest, 0755, plain_dir ? RESOLVE_NO_SYMLINKS : 0));
    if (!dst) {
        if (plain_dir && errno == ELOOP)
            return child_fail(ELOOP, "mount destination must not involve a symlink", dest);
        return child_fail(errno, "create mountpoint", dest);
    }
    if (!refuse_procfs_target(dst.get(), m)) return false;
    // What the tmpfs will cover stays readable through this fd.
    UniqueFd covered;
    if (m.tmpcopyup) {
        covered.reset(::openat(dst.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!covered) return child_fail(errno, "open", dest);
    }
    char dp[40];
    // A read-only tmpfs is filled first and made read-only after.
    unsigned long flags = m.tmpcopyup ? m.flags & ~MS_RDONLY : m.flags;
    if (::mount(m.source.c_str(), fd_path(dp, sizeof dp, dst.get()), m.fstype.c_str(), flags,
                m.data.empty() ? nullptr : m.data.c_str()) != 0) {
        char op[96];
        std::snprintf(op, sizeof op, "mount %s", m.fstype.c_str());
        return child_fail(errno, op, dest);
    }
    if (covered && !copy_up(root_fd, m, covered.get())) return false;
    return after_mount(root_fd, m, nullptr);
}

bool write_sysctls(const RootfsPlan& plan) {
    if (plan.sysctls.empty()) return true;
    UniqueFd proc(open_procfs_root());
    if (!proc) return child_fail(errno, "open verified procfs", "/proc");
    for (const SysctlPlan& s : plan.sysctls) {
        UniqueFd fd(open_in_procfs(proc.get(), s.path.c_str(), O_WRONLY));
        if (!fd) return child_fail(errno, "open sysctl", s.key.c_str());
        if (sys::write_all(fd.get(), s.value.data(), s.value.size()) != 0)
            return child_fail(errno, "write sysctl", s.key.c_str());
    }
    return true;
}

} // namespace

namespace detail {

int reopen_mount_root(int root_fd, const char* path, const struct stat* expect) {
    int fd = open_in_root(root_fd, path, O_PATH);
    if (fd < 0) return -1;
    struct statx sx {};
    bool ok = ::statx(fd, "", AT_EMPTY_PATH, STATX_INO, &sx) == 0;
    // STATX_ATTR_MOUNT_ROOT exists since 5.8; older kernels get the inode
    // check only.
    if (ok && (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
        ok = (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    if (ok && expect)
        ok = sx.stx_ino == expect->st_ino &&
             makedev(sx.stx_dev_major, sx.stx_dev_minor) == expect->st_dev;
    if (!ok) {
        ::close(fd);
        errno = EAGAIN;
        return -1;
    }
    return fd;
}

bool remount_bind(int fd, unsigned long set, unsigned long clear, const char* shown,
                  const char* target) {
    struct statvfs sv {};
    if (::fstatvfs(fd, &sv) != 0) return child_fail(errno, "statvfs", shown);
    unsigned long flags = ((sv.f_flag & kPerMountFlags) & ~clear) | (set & kPerMountFlags);
    char p[40];
    if (!target) target = fd_path(p, sizeof p, fd);
    if (::mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | flags, nullptr) != 0)
        return child_fail(errno, "remount", shown);
    return true;
}

bool require_fd_paths(bool* checked) {
    if (*checked) return true;
    UniqueFd proc(open_procfs_root());
    if (!proc) return child_fail(errno, "masked and readonly paths need procfs at", "/proc");
    *checked = true;
    return true;
}

} // namespace detail

bool prepare_rootfs(const RootfsPlan& plan) {
    // First of all: our mounts are copies that may still share peer groups
    // with the host's; as slaves they receive but never send events.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
        return child_fail(errno, "make / rslave", "/");
    if (::mount(nullptr, "/", nullptr, plan.root_propagation, nullptr) != 0)
        return child_fail(errno, "set rootfs propagation", "/");
    const char* rootfs = plan.rootfs.c_str();
    if (!make_rootfs_parent_private(rootfs)) return false;
    // A mount point of its own, so pivot_root (or MS_MOVE) can take it.
    if (::mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return child_fail(errno, "bind rootfs", rootfs);
    // Opened after the self-bind so every lookup starts on the new mount.
    UniqueFd root(::open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return child_fail(errno, "open rootfs", rootfs);
    for (size_t i = 0; i < plan.mounts.size(); ++i)
        if (!mount_one(root.get(), plan.mounts[i], i)) return false;
    if (plan.create_default_devices && !detail::setup_dev(root.get(), plan)) return false;
    return true;
}

bool enter_rootfs(const RootfsPlan& plan) {
    const char* rootfs = plan.rootfs.c_str();
    if (plan.no_pivot) {
        if (::chdir(rootfs) != 0) return child_fail(errno, "chdir", rootfs);
        if (::mount(rootfs, "/", nullptr, MS_MOVE, nullptr) != 0)
            return child_fail(errno, "move rootfs to /", rootfs);
        if (::chroot(".") != 0) return child_fail(errno, "chroot", rootfs);
        if (::chdir("/") != 0) return child_fail(errno, "chdir", "/");
        return true;
    }
    // pivot_root(".", ".") stacks the old root on top of the new one; we
    // hold an fd of each so the old root can be reached exactly (not through
    // a path that "." might resolve to the new root) and then detached.
    UniqueFd old_root(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!old_root) return child_fail(errno, "open old root", "/");
    UniqueFd new_root(::open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!new_root) return child_fail(errno, "open rootfs", rootfs);
    if (::fchdir(new_root.get()) != 0) return child_fail(errno, "chdir", rootfs);
    if (sys::pivot_root(".", ".") != 0) return child_fail(errno, "pivot_root", rootfs);
    if (::fchdir(old_root.get()) != 0) return child_fail(errno, "chdir to old root", "/");
    // rslave before the detach: an unmount of a shared old root would
    // otherwise propagate to its peers on the host.
    if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
        return child_fail(errno, "make old root rslave", "/");
    if (::umount2(".", MNT_DETACH) != 0) return child_fail(errno, "detach old root", "/");
    if (::chdir("/") != 0) return child_fail(errno, "chdir", "/");
    return true;
}

bool finish_rootfs(const RootfsPlan& plan) {
    if (!write_sysctls(plan)) return false;
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return child_fail(errno, "open", "/");
    if (!detail::apply_readonly_paths(root.get(), plan)) return false;
    if (!detail::apply_masked_paths(root.get(), plan)) return false;
    if (plan.readonly && !detail::remount_bind(root.get(), MS_RDONLY, 0, "/", "/")) return false;
    // The rootfs mount came out private (its parent was made private for
    // pivot_root); give it the requested kind now that it is "/".
    if ((plan.root_propagation & (MS_SHARED | MS_SLAVE | MS_UNBINDABLE)) &&
        ::mount(nullptr, "/", nullptr, plan.root_propagation, nullptr) != 0)
        return child_fail(errno, "set rootfs propagation", "/");
    return true;
}

} // namespace corral::ns
