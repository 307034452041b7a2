#include "ns/idmapped_mount.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <map>
#include <string>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/syscalls.hpp"
#include "ns/idmap.hpp"

namespace corral::ns {

namespace {

// Kills and reaps the helper on every path out of make_mapping_userns.
struct Helper {
    pid_t pid = -1;
    ~Helper() {
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
};

Result<UniqueFd> open_userns_path(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open user namespace", path);
    // mount_setattr would call any other fd EINVAL, which reads like the
    // filesystem's refusal.
    int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type < 0) return sys_error("query namespace type of", path);
    if (type != CLONE_NEWUSER) return plain_error("id mapping:", path + " is not a user namespace");
    return fd;
}

// The flags only the tree's top mount or, for ridmap, all of it gets.
unsigned idmap_scope(const MountPlan& m) {
    return AT_EMPTY_PATH | (m.idmap_recursive ? AT_RECURSIVE : 0);
}

Result<UniqueFd> make_tree(const MountPlan& m, int userns_fd) {
    const std::string what = "mount " + m.destination + ":";
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m.recursive ? AT_RECURSIVE : 0);
    UniqueFd tree(::open_tree(AT_FDCWD, m.source.c_str(), flags));
    if (!tree) return sys_error(what + " clone mount source", m.source);
    // The clone joins the source's peer group when that is shared, so mounts
    // made under it in the container would propagate back to the host. The
    // other binds are copies of an rslave tree; make this one a slave too
    // (it still receives the host's events, as they do).
    struct mount_attr prop {};
    prop.propagation = MS_SLAVE;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &prop, sizeof prop) != 0)
        return sys_error(what + " make mount source a slave", m.source);
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns_fd);
    if (::mount_setattr(tree.get(), "", idmap_scope(m), &attr, sizeof attr) != 0) {
        // EINVAL: the filesystem lacks FS_ALLOW_IDMAP (procfs, sysfs, tmpfs
        // before 6.3...); the tree is fresh and detached, so nothing else
        // in can_idmap_mount() applies to it.
        if (errno == EINVAL)
            return plain_error(what, std::string("the filesystem of ") + m.source +
                                         (m.idmap_recursive ? " or of one of its submounts" : "") +
                                         " does not support id-mapped mounts");
        return sys_error(what + " set id mapping of", m.source);
    }
    return tree;
}

} // namespace

Result<UniqueFd> make_mapping_userns(const std::vector<spec::IdMapping>& uids,
                                     const std::vector<spec::IdMapping>& gids) {
    // The helper blocks on a pipe: should we die before killing it, the
    // pipe's last writer goes away and it exits by itself.
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return sys_error("pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    sys::Clone3Args args;
    args.flags = CLONE_NEWUSER;
    args.exit_signal = SIGCHLD;
    Helper helper;
    helper.pid = sys::clone3_fork(args, nullptr);
    if (helper.pid < 0) return sys_error("clone id mapping helper");
    if (helper.pid == 0) {
        ::close(wr.get());
        char c;
        while (::read(rd.get(), &c, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);
    }
    rd.reset();
    // Root writes the maps directly; no setgroups "deny", the helper never
    // runs anything.
    CORRAL_TRY(write_id_maps(helper.pid, uids, gids, false));
    std::string path = "/proc/" + std::to_string(helper.pid) + "/ns/user";
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return sys_error("open", path);
    return ns;
}

Result<IdmappedTrees> prepare_idmapped_mounts(RootfsPlan& plan, bool enabled) {
    IdmappedTrees out;
    if (!enabled) return out;
    // Mounts with the same mapping share one user namespace.
    std::map<std::string, int> userns_by_key;
    for (MountPlan& m : plan.mounts) {
        if (!m.idmap) continue;
        std::string key = m.idmap_userns.empty()
                              ? id_map_text(m.idmap_uids) + "/" + id_map_text(m.idmap_gids)
                              : "path:" + m.idmap_userns;
        auto it = userns_by_key.find(key);
        if (it == userns_by_key.end()) {
            auto ns = m.idmap_userns.empty() ? make_mapping_userns(m.idmap_uids, m.idmap_gids)
                                             : open_userns_path(m.idmap_userns);
            if (!ns) return ns.error().context("mount " + m.destination);
            it = userns_by_key.emplace(key, ns->get()).first;
            out.fds.push_back(std::move(*ns));
        }
        auto tree = make_tree(m, it->second);
        if (!tree) return tree.error();
        m.tree_fd = tree->get();
        out.fds.push_back(std::move(*tree));
    }
    return out;
}

} // namespace corral::ns
