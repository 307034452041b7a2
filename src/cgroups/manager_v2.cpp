// The unified (cgroup v2) backend: one group, controllers enabled down the
// path, limits written through the group's fd, devices filtered by eBPF.
#include "cgroups/manager_impl.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>

#include "cgroups/files.hpp"
#include "cgroups/tree.hpp"
#include "cgroups/v2/controllers.hpp"
#include "cgroups/v2/devices_bpf.hpp"

namespace corral::cgroups {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : " ") + s;
    return out.empty() ? "none" : out;
}

class UnifiedManager final : public Manager {
public:
    // A new group at mount + group, to be limited by res.
    UnifiedManager(std::string mount, std::string group, spec::Resources res)
        : mount_(std::move(mount))
        , group_(std::move(group))
        , res_(std::move(res)) {
        paths_["unified"] = mount_ + group_;
    }
    // An existing group.
    explicit UnifiedManager(std::string dir) { paths_["unified"] = std::move(dir); }

    Status create() override {
        auto r = create_group();
        if (!r) {
            fd_.reset();
            for (auto it = created_.rbegin(); it != created_.rend(); ++it)
                (void)remove_group(*it);
        }
        return r;
    }

    Status create_group() {
        auto offered = read_file_words(mount_, "cgroup.controllers");
        for (const auto& c : v2::required_controllers(res_))
            if (!contains(offered, c))
                return plain_error("linux.resources:", "cgroup controller \"" + c +
                                                           "\" is not available in " + mount_ +
                                                           " (it offers: " + join(offered) + ")");
        auto created = make_group(mount_, group_);
        if (!created) return created.error();
        created_ = *created;
        CORRAL_TRY(enable_controllers());
        CORRAL_TRY(open_dir());
        // A pure v2 host has no devices controller: without a program
        // attached, every device node would be usable. Loading one needs
        // CAP_SYS_ADMIN over the host, which a rootless caller lacks (and
        // its user namespace forbids mknod anyway).
        if (geteuid() == 0) CORRAL_TRY(v2::apply_device_filter(fd_.get(), res_.devices));
        return apply(res_);
    }

    int placement_fd() const override { return fd_.get(); }
    Status add_pid(pid_t pid) override { return add_to_group(dir(), pid); }
    Status attach_secondary(pid_t) override { return {}; }

    Status update(const spec::Resources& r) override {
        CORRAL_TRY(v2::check_resources(r));
        CORRAL_TRY(open_dir());
        mount_ = mount_of(dir());
        group_ = dir().substr(mount_.size());
        CORRAL_TRY(enable_controllers(&r));
        if (!r.devices.empty()) CORRAL_TRY(v2::apply_device_filter(fd_.get(), r.devices));
        return apply(r);
    }

    Status freeze() override { return set_frozen(true); }
    Status thaw() override { return set_frozen(false); }

    Result<bool> frozen() const override {
        CORRAL_TRY(open_dir());
        auto events = read_file(fd_.get(), "cgroup.events");
        if (!events) return events.error();
        return parse_flat_keyed(*events)["frozen"] == 1;
    }

    Result<Stats> stats() const override {
        CORRAL_TRY(open_dir());
        return v2::read_stats(fd_.get());
    }

    Result<uint64_t> oom_kills() const override {
        CORRAL_TRY(open_dir());
        auto events = read_file(fd_.get(), "memory.events");
        if (!events) return uint64_t{0}; // memory controller not enabled
        return parse_flat_keyed(*events)["oom_kill"];
    }

    Result<UniqueFd> oom_notifier() const override {
        UniqueFd fd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        if (!fd) return sys_error("inotify_init1");
        std::string events = dir() + "/memory.events";
        if (inotify_add_watch(fd.get(), events.c_str(), IN_MODIFY) < 0)
            return sys_error("watch", events);
        return fd;
    }

    Result<std::vector<pid_t>> pids() const override { return group_pids(dir()); }

    Status kill_all(int sig) override {
        if (sig == SIGKILL) {
            // cgroup.kill reaches every process atomically, including ones
            // forked while we would iterate.
            CORRAL_TRY(open_dir());
            if (write_file(fd_.get(), "cgroup.kill", "1").ok()) return {};
        }
        return kill_frozen(*this, sig);
    }

    Status destroy() override {
        fd_.reset();
        return remove_group(dir());
    }

    const std::map<std::string, std::string>& paths() const override { return paths_; }

private:
    const std::string& dir() const { return paths_.at("unified"); }

    Status open_dir() const {
        if (fd_) return {};
        fd_.reset(::open(dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd_) return sys_error("open cgroup", dir());
        return {};
    }

    static std::vector<std::string> read_file_words(const std::string& dir, const char* name) {
        UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        auto text = fd ? read_file(fd.get(), name) : Result<std::string>(sys_error("open", dir));
        return text ? split_words(*text) : std::vector<std::string>{};
    }

    // Enables in every ancestor's cgroup.subtree_control, from the top, the
    // controllers the hierarchy offers, so stats and later updates work (as
    // runc does); one at a time, because one refused controller (cpu with
    // realtime tasks in the root) must not block the rest. Only a refusal of
    // a controller the config needs is an error.
    Status enable_controllers(const spec::Resources* extra = nullptr) {
        auto needed = v2::required_controllers(extra ? *extra : res_);
        std::string cur = mount_;
        size_t pos = 0;
        while (true) {
            auto offered = read_file_words(cur, "cgroup.controllers");
            auto enabled = read_file_words(cur, "cgroup.subtree_control");
            UniqueFd fd(::open(cur.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!fd) return sys_error("open cgroup", cur);
            for (const auto& c : offered) {
                if (contains(enabled, c)) continue;
                auto r = write_file(fd.get(), "cgroup.subtree_control", "+" + c);
                if (!r && contains(needed, c))
                    return Error(r.error()).context("enable cgroup controller " + c + " in " + cur);
            }
            for (const auto& c : needed)
                if (!contains(offered, c))
                    return plain_error("linux.resources:", "cgroup controller \"" + c +
                                                               "\" is not available in " + cur);
            pos = group_.find('/', pos + 1);
            if (pos == std::string::npos) return {};
            cur = mount_ + group_.substr(0, pos);
        }
    }

    Status apply(const spec::Resources& r) {
        auto text = read_file(fd_.get(), "cgroup.controllers");
        auto enabled = text ? split_words(*text) : std::vector<std::string>{};
        return v2::apply_all(fd_.get(), r, enabled);
    }

    Status set_frozen(bool on) {
        CORRAL_TRY(open_dir());
        CORRAL_TRY(write_file(fd_.get(), "cgroup.freeze", on ? "1" : "0"));
        // The write only asks; cgroup.events says when every task stopped.
        for (int i = 0; i < 2000; ++i) {
            auto f = frozen();
            if (!f) return f.error();
            if (*f == on) return {};
            usleep(1000);
        }
        return plain_error(on ? "freeze" : "thaw", dir() + ": the group did not settle in 2s");
    }

    std::string mount_, group_;
    std::vector<std::string> created_; // by create(), top first
    spec::Resources res_;
    std::map<std::string, std::string> paths_;
    mutable UniqueFd fd_; // opened on first use, also by the read-only queries
};

} // namespace

std::string mount_of(const std::string& dir) {
    const auto& l = host_layout();
    if (!l.unified_mount.empty() && dir.rfind(l.unified_mount + "/", 0) == 0)
        return l.unified_mount;
    return "";
}

Status kill_frozen(Manager& m, int sig) {
    // Frozen, no process can fork a child we would miss; without a freezer
    // the signal still goes to every pid listed.
    bool froze = m.freeze().ok();
    auto list = m.pids();
    Status result;
    if (!list)
        result = list.error();
    else
        for (pid_t p : *list)
            if (::kill(p, sig) < 0 && errno != ESRCH) {
                result = sys_error("kill", std::to_string(p));
                break;
            }
    if (froze) (void)m.thaw();
    return result;
}

std::unique_ptr<Manager> make_unified(std::string mount, std::string group, spec::Resources res) {
    return std::make_unique<UnifiedManager>(std::move(mount), std::move(group), std::move(res));
}

std::unique_ptr<Manager> open_unified(std::string dir) {
    return std::make_unique<UnifiedManager>(std::move(dir));
}

} // namespace corral::cgroups
