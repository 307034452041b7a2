// The v1 backend for legacy and hybrid hosts: one group per mounted
// hierarchy (co-mounted controllers share one, named hierarchies get one
// too), limits through each controller's group, pause through the freezer.
// On a hybrid host the container also gets a group in the unified
// hierarchy, which clone3 places it in and which tracks it.
#include "cgroups/manager_impl.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sstream>

#include "cgroups/devices_v1.hpp"
#include "cgroups/files.hpp"
#include "cgroups/tree.hpp"
#include "cgroups/v1/controllers.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups {

namespace {

// Which OCI field needs a v1 controller, for the error when it is missing.
const char* field_of(const std::string& controller) {
    static const std::map<std::string, const char*> fields = {
        {"memory", "memory"},   {"cpu", "cpu"},          {"cpuset", "cpu"},
        {"pids", "pids"},       {"blkio", "blockIO"},    {"hugetlb", "hugepageLimits"},
        {"net_cls", "network"}, {"net_prio", "network"}, {"rdma", "rdma"}};
    auto it = fields.find(controller);
    return it == fields.end() ? controller.c_str() : it->second;
}

std::set<std::string> key_controllers(const std::string& key) {
    std::set<std::string> out;
    std::istringstream in(key);
    std::string c;
    while (std::getline(in, c, ','))
        out.insert(c);
    return out;
}

struct Group {
    std::string key; // "unified" or the hierarchy's controllers
    std::string mount, group;
    std::set<std::string> controllers;
    UniqueFd fd;
    std::string dir() const { return mount + group; }
};

class V1Manager final : public Manager {
public:
    V1Manager(std::vector<Group> groups, spec::Resources res)
        : groups_(std::move(groups))
        , res_(std::move(res)) {
        for (const auto& g : groups_)
            paths_[g.key] = g.dir();
    }

    Status create() override {
        auto r = create_groups();
        if (!r) {
            // Only what this call made goes; a leaf that existed before is
            // someone else's.
            for (auto& g : groups_)
                g.fd.reset();
            for (auto it = created_.rbegin(); it != created_.rend(); ++it)
                (void)remove_group(*it);
        }
        return r;
    }

    Status create_groups() {
        CORRAL_TRY(check_mounted(res_));
        for (auto it = groups_.begin(); it != groups_.end();) {
            Group& g = *it;
            auto created = make_group(g.mount, g.group);
            // The hybrid unified group only tracks the container; a rootless
            // caller with delegated v1 subtrees rarely owns a cgroup2 one
            // (and could not enter it from outside it anyway), so it goes.
            if (!created && g.key == "unified" && geteuid() != 0 &&
                (created.error().err == EACCES || created.error().err == EPERM)) {
                paths_.erase(g.key);
                it = groups_.erase(it);
                continue;
            }
            ++it;
            if (!created) return created.error();
            created_.insert(created_.end(), created->begin(), created->end());
            // A new cpuset group has no cpus and no mems, and no task can
            // join it until both are set: each new level copies its parent's.
            if (g.controllers.count("cpuset"))
                for (const auto& dir : *created)
                    CORRAL_TRY(inherit_cpuset(dir));
            CORRAL_TRY(open_group(g));
        }
        // Device rules need CAP_SYS_ADMIN over the host; a rootless
        // container cannot mknod in its user namespace anyway.
        Group* dev = geteuid() == 0 ? find("devices") : nullptr;
        if (dev) {
            auto lines = device_rule_lines(res_.devices);
            if (!lines) return lines.error();
            CORRAL_TRY(write_device_rules(dev->fd.get(), *lines));
        }
        CORRAL_TRY(apply(res_, false));
        // The init is cloned with our fds (close-on-exec, but open while it
        // waits for start); only the placement fd needs to survive.
        for (auto& g : groups_)
            if (g.key != "unified") g.fd.reset();
        return {};
    }

    int placement_fd() const override {
        const Group* u = unified();
        return u ? u->fd.get() : -1;
    }

    Status add_pid(pid_t pid) override {
        if (Group* u = unified()) return add_to_group(u->dir(), pid);
        return attach_all(pid);
    }

    Status attach_secondary(pid_t pid) override { return unified() ? attach_all(pid) : Status{}; }

    Status update(const spec::Resources& r) override {
        CORRAL_TRY(check_mounted(r));
        for (auto& g : groups_)
            CORRAL_TRY(open_group(g));
        if (Group* dev = find("devices"); dev && !r.devices.empty()) {
            auto lines = device_rule_lines(r.devices);
            if (!lines) return lines.error();
            CORRAL_TRY(write_device_rules(dev->fd.get(), *lines));
        }
        return apply(r, true);
    }

    Status freeze() override {
        auto fd = freezer();
        if (!fd) return fd.error();
        return v1::freeze(*fd);
    }

    Status thaw() override {
        auto fd = freezer();
        if (!fd) return fd.error();
        return v1::thaw(*fd);
    }

    Result<bool> frozen() const override {
        auto fd = const_cast<V1Manager*>(this)->freezer();
        if (!fd) return fd.error();
        return v1::frozen(*fd);
    }

    Result<Stats> stats() const override {
        auto* self = const_cast<V1Manager*>(this);
        Stats s;
        int cpu = self->fd_of("cpu"), cpuacct = self->fd_of("cpuacct");
        if (cpu >= 0 || cpuacct >= 0) v1::read_cpu_stats(cpu, cpuacct, s.cpu);
        if (int fd = self->fd_of("memory"); fd >= 0) {
            v1::read_memory_stats(fd, s.memory);
            auto kills = v1::read_oom_kills(fd);
            if (kills) s.oom_kills = *kills;
        }
        if (int fd = self->fd_of("pids"); fd >= 0) v1::read_pids_stats(fd, s.pids);
        if (int fd = self->fd_of("blkio"); fd >= 0) v1::read_blkio_stats(fd, s.blkio);
        if (int fd = self->fd_of("hugetlb"); fd >= 0) v1::read_hugetlb_stats(fd, s.hugetlb);
        return s;
    }

    Result<uint64_t> oom_kills() const override {
        int fd = const_cast<V1Manager*>(this)->fd_of("memory");
        if (fd < 0) return uint64_t{0};
        return v1::read_oom_kills(fd);
    }

    // v1 notifies OOM through an eventfd registered in cgroup.event_control
    // against memory.oom_control; the registration lives as long as the
    // eventfd (and the group).
    Result<UniqueFd> oom_notifier() const override {
        int dir = const_cast<V1Manager*>(this)->fd_of("memory");
        if (dir < 0) return plain_error("watch oom:", "no memory cgroup");
        UniqueFd efd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!efd) return sys_error("eventfd");
        UniqueFd ctl(::openat(dir, "memory.oom_control", O_RDONLY | O_CLOEXEC));
        if (!ctl) return sys_error("open", "memory.oom_control");
        CORRAL_TRY(write_file(dir, "cgroup.event_control",
                              std::to_string(efd.get()) + " " + std::to_string(ctl.get())));
        return efd;
    }

    Result<std::vector<pid_t>> pids() const override {
        // Every hierarchy holds every process; the unified group (or else
        // the first) lists them.
        const Group* u = unified();
        return group_pids(u ? u->dir() : groups_.front().dir());
    }

    Status kill_all(int sig) override {
        if (sig == SIGKILL)
            if (Group* u = unified();
                u && open_group(*u).ok() && write_file(u->fd.get(), "cgroup.kill", "1").ok())
                return {};
        return kill_frozen(*this, sig);
    }

    Status destroy() override {
        Status first;
        for (auto& g : groups_) {
            g.fd.reset();
            auto r = remove_group(g.dir());
            if (first.ok() && !r.ok()) first = r;
        }
        return first;
    }

    const std::map<std::string, std::string>& paths() const override { return paths_; }

private:
    Status check_mounted(const spec::Resources& r) {
        auto missing = [](const std::string& c, const char* field) {
            return plain_error(std::string("linux.resources.") + field + ":",
                               "cgroup v1 controller \"" + c + "\" is not mounted on this host");
        };
        for (const auto& c : v1::required_controllers(r))
            if (!find(c)) return missing(c, field_of(c));
        if (!r.devices.empty() && !find("devices")) return missing("devices", "devices");
        return {};
    }

    Group* find(const std::string& controller) {
        for (auto& g : groups_)
            if (g.key != "unified" && g.controllers.count(controller)) return &g;
        return nullptr;
    }
    Group* unified() {
        for (auto& g : groups_)
            if (g.key == "unified") return &g;
        return nullptr;
    }
    const Group* unified() const { return const_cast<V1Manager*>(this)->unified(); }

    Status open_group(Group& g) {
        if (g.fd) return {};
        g.fd.reset(::open(g.dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!g.fd) return sys_error("open cgroup", g.dir());
        return {};
    }

    // The controller's group fd, or -1 when it is not mounted or gone.
    int fd_of(const std::string& controller) {
        Group* g = find(controller);
        return g && open_group(*g).ok() ? g->fd.get() : -1;
    }

    Result<int> freezer() {
        Group* g = find("freezer");
        if (!g) return plain_error("freeze:", "cgroup v1 controller \"freezer\" is not mounted");
        CORRAL_TRY(open_group(*g));
        return g->fd.get();
    }

    Status inherit_cpuset(const std::string& dir) {
        std::string parent = dir.substr(0, dir.rfind('/'));
        UniqueFd pfd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!pfd || !fd) return sys_error("open cgroup", pfd ? dir : parent);
        return v1::inherit_cpuset(pfd.get(), fd.get());
    }

    Status attach_all(pid_t pid) {
        for (const auto& g : groups_)
            if (g.key != "unified") CORRAL_TRY(add_to_group(g.dir(), pid));
        return {};
    }

    Status apply(const spec::Resources& r, bool update) {
        auto need = [&](const char* c) { return fd_of(c); };
        if (r.cpu) {
            if (int fd = need("cpuset"); fd >= 0) CORRAL_TRY(v1::apply_cpuset(fd, *r.cpu));
            if (int fd = need("cpu"); fd >= 0) CORRAL_TRY(v1::apply_cpu(fd, *r.cpu));
        }
        if (r.memory)
            if (int fd = need("memory"); fd >= 0)
                CORRAL_TRY(v1::apply_memory(fd, *r.memory, update));
        if (r.pids)
            if (int fd = need("pids"); fd >= 0) CORRAL_TRY(v1::apply_pids(fd, *r.pids));
        if (r.block_io)
            if (int fd = need("blkio"); fd >= 0) CORRAL_TRY(v1::apply_blkio(fd, *r.block_io));
        if (!r.hugepage_limits.empty())
            if (int fd = need("hugetlb"); fd >= 0)
                CORRAL_TRY(v1::apply_hugetlb(fd, r.hugepage_limits));
        if (r.network) {
            if (int fd = need("net_cls"); fd >= 0) CORRAL_TRY(v1::apply_net_cls(fd, *r.network));
            if (int fd = need("net_prio"); fd >= 0) CORRAL_TRY(v1::apply_net_prio(fd, *r.network));
        }
        if (!r.rdma.empty())
            if (int fd = need("rdma"); fd >= 0) CORRAL_TRY(v1::apply_rdma(fd, r.rdma));
        if (!r.unified.empty()) {
            // Keys for the unified hierarchy go to the hybrid cgroup2 group,
            // as runc does; a legacy host has none to take them.
            Group* u = unified();
            if (!u)
                return plain_error("linux.resources.unified:",
                                   "this host has no cgroup2 hierarchy (legacy cgroup v1)");
            CORRAL_TRY(open_group(*u));
            auto text = read_file(u->fd.get(), "cgroup.controllers");
            CORRAL_TRY(v2::apply_unified(u->fd.get(), r.unified,
                                         text ? split_words(*text) : std::vector<std::string>{}));
        }
        return {};
    }

    std::vector<Group> groups_;
    std::vector<std::string> created_; // by create(), top first
    spec::Resources res_;
    std::map<std::string, std::string> paths_;
};

// A hierarchy's group path as seen through its mount: a mount of a subtree
// (inside another container) shows that subtree at its mount point.
std::string below_root(const std::string& group, const std::string& root) {
    if (root == "/" || root.empty()) return group;
    if (group.rfind(root + "/", 0) == 0) return group.substr(root.size());
    return group;
}

} // namespace

std::unique_ptr<Manager> make_v1(const Layout& layout, std::map<std::string, std::string> groups,
                                 spec::Resources res) {
    std::vector<Group> list;
    for (const auto& h : layout.v1) {
        Group g;
        g.key = h.key;
        g.mount = h.mount;
        g.group = below_root(groups[h.key], h.root);
        g.controllers = h.controllers;
        list.push_back(std::move(g));
    }
    if (!layout.unified_mount.empty()) {
        Group g;
        g.key = "unified";
        g.mount = layout.unified_mount;
        g.group = groups["unified"];
        list.push_back(std::move(g));
    }
    return std::make_unique<V1Manager>(std::move(list), std::move(res));
}

std::unique_ptr<Manager> open_v1(const std::map<std::string, std::string>& dirs) {
    std::vector<Group> list;
    for (const auto& [key, dir] : dirs) {
        Group g;
        g.key = key;
        g.mount = dir; // an existing group: mount + "" is its directory
        if (key != "unified") g.controllers = key_controllers(key);
        list.push_back(std::move(g));
    }
    return std::make_unique<V1Manager>(std::move(list), spec::Resources{});
}

} // namespace corral::cgroups
