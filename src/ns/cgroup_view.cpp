#include "ns/cgroup_view.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/unique_fd.hpp"
#include "ns/paths.hpp"
#include "ns/rootfs_steps.hpp"

namespace corral::ns {

namespace {

std::string basename_of(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The directory of `group` (a path inside the hierarchy) under a mount of
// the hierarchy's `root`; a group outside that root is not reachable there,
// so the mount's own top is shown.
std::string group_dir(const std::string& mount, const std::string& root, const std::string& group) {
    if (root == "/" || root.empty()) return group == "/" ? mount : mount + group;
    if (group == root) return mount;
    if (group.compare(0, root.size(), root) == 0 && group[root.size()] == '/')
        return mount + group.substr(root.size());
    return mount;
}

std::string source_of(const std::map<std::string, std::string>& container,
                      const std::map<std::string, std::string>& own, const std::string& key,
                      const std::string& own_key, const std::string& mount,
                      const std::string& root) {
    auto c = container.find(key);
    if (c != container.end()) return c->second;
    auto o = own.find(own_key);
    return group_dir(mount, root, o == own.end() ? "/" : o->second);
}

std::vector<CgroupV1Bind> v1_binds(const cgroups::Layout& layout,
                                   const std::map<std::string, std::string>& container,
                                   const std::map<std::string, std::string>& own) {
    std::vector<CgroupV1Bind> out;
    for (const auto& h : layout.v1) {
        CgroupV1Bind b{
            source_of(container, own, h.key, h.key, h.mount, h.root), basename_of(h.mount), {}};
        for (const auto& c : h.controllers)
            if (c != b.name && c.rfind("name=", 0) != 0) b.links.push_back(c);
        out.push_back(std::move(b));
    }
    if (!layout.unified_mount.empty())
        out.push_back(
            {source_of(container, own, "unified", "", layout.unified_mount, "/"), "unified", {}});
    return out;
}

bool bind_hierarchy(int root_fd, int top_fd, const MountPlan& m, const CgroupV1Bind& b) {
    char dest[4096];
    std::snprintf(dest, sizeof dest, "%s/%s", m.destination.c_str(), b.name.c_str());
    UniqueFd src(::open(b.source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!src) return child_fail(errno, "open cgroup", b.source.c_str());
    struct stat st {};
    if (::fstat(src.get(), &st) != 0) return child_fail(errno, "stat cgroup", b.source.c_str());
    if (::mkdirat(top_fd, b.name.c_str(), 0755) != 0)
        return child_fail(errno, "create mountpoint", dest);
    UniqueFd dst(::openat(top_fd, b.name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst) return child_fail(errno, "open mountpoint", dest);
    char sp[40], dp[40];
    if (::mount(fd_path(sp, sizeof sp, src.get()), fd_path(dp, sizeof dp, dst.get()), nullptr,
                MS_BIND, nullptr) != 0)
        return child_fail(errno, "bind cgroup", dest);
    UniqueFd bound(detail::reopen_mount_root(root_fd, dest, &st));
    if (!bound) return child_fail(errno, "reopen mount", dest);
    if (!detail::remount_bind(bound.get(), m.flags, m.clear_flags, dest)) return false;
    for (const auto& link : b.links)
        if (::symlinkat(b.name.c_str(), top_fd, link.c_str()) != 0)
            return child_fail(errno, "symlink cgroup controller", link.c_str());
    return true;
}

} // namespace

void plan_cgroup_view(RootfsPlan& plan, const cgroups::Layout& layout,
                      const std::map<std::string, std::string>& container,
                      const std::map<std::string, std::string>& own) {
    if (layout.mode != cgroups::Mode::Legacy && layout.mode != cgroups::Mode::Hybrid) return;
    for (MountPlan& m : plan.mounts) {
        if (!m.cgroup_view || m.bind) continue;
        m.fstype = "tmpfs";
        m.source = "tmpfs";
        m.data = "mode=755";
        m.cgroup_v1 = v1_binds(layout, container, own);
    }
}

bool mount_cgroup_v1_view(int root_fd, const MountPlan& m) {
    const char* dest = m.destination.c_str();
    // A symlinked /sys/fs/cgroup would let the image choose where the
    // host's groups get bound.
    UniqueFd dst(mkdir_all_in_root(root_fd, dest, 0755, RESOLVE_NO_SYMLINKS));
    if (!dst) {
        if (errno == ELOOP)
            return child_fail(ELOOP, "mount destination must not involve a symlink", dest);
        return child_fail(errno, "create mountpoint", dest);
    }
    char dp[40];
    // Writable until its mountpoints exist; read-only (if asked) at the end.
    if (::mount("tmpfs", fd_path(dp, sizeof dp, dst.get()), "tmpfs", m.flags & ~MS_RDONLY,
                m.data.c_str()) != 0)
        return child_fail(errno, "mount tmpfs", dest);
    UniqueFd top(detail::reopen_mount_root(root_fd, dest, nullptr));
    if (!top) return child_fail(errno, "reopen mount", dest);
    for (const CgroupV1Bind& b : m.cgroup_v1)
        if (!bind_hierarchy(root_fd, top.get(), m, b)) return false;
    if ((m.flags & MS_RDONLY) && !detail::remount_bind(top.get(), m.flags, 0, dest)) return false;
    return true;
}

} // namespace corral::ns
