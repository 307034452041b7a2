// The cgroup Manager: where a container's processes live and what limits
// them. One interface for the unified (v2) backend, the v1/hybrid backend
// and, later, a systemd driver; the runtime never sees which one it has.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

#include "cgroups/stats.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "spec/spec.hpp"

namespace corral::cgroups {

class Manager {
public:
    virtual ~Manager() = default;
    // Creates the container's groups (and missing ancestors), enables the
    // controllers the config needs and applies its resources; fails if the
    // container's group already exists.
    virtual Status create() = 0;
    // A directory fd for clone3(CLONE_INTO_CGROUP), or -1 when unsupported.
    virtual int placement_fd() const = 0;
    // Fallback placement when CLONE_INTO_CGROUP was not used.
    virtual Status add_pid(pid_t pid) = 0;
    // Placement in the groups clone3 cannot reach (v1 hierarchies of a
    // hybrid host); done before the init reports RuntimeHooks, so before it
    // opens any device or runs any instruction of the container.
    virtual Status attach_secondary(pid_t pid) = 0;
    // Changes the limits of a live group; only fields that are set change.
    virtual Status update(const spec::Resources& r) = 0;
    // Freezes every process of the group and returns once the kernel says
    // the group is frozen; thaw undoes it.
    virtual Status freeze() = 0;
    virtual Status thaw() = 0;
    virtual Result<bool> frozen() const = 0;
    virtual Result<Stats> stats() const = 0;
    // OOM kills recorded for the group so far.
    virtual Result<uint64_t> oom_kills() const = 0;
    // An fd that polls readable when an OOM may have happened (then compare
    // oom_kills()); invalid when the host cannot notify.
    virtual Result<UniqueFd> oom_notifier() const = 0;
    // Every process of the group and its subgroups.
    virtual Result<std::vector<pid_t>> pids() const = 0;
    // SIGKILL through cgroup.kill when present; other signals freeze, signal
    // every pid, thaw, so no fork escapes.
    virtual Status kill_all(int sig) = 0;
    // Removes every group corral created (never an ancestor that others use).
    virtual Status destroy() = 0;
    // Group directories by hierarchy: "unified", or a v1 hierarchy's
    // controllers ("memory", "cpu,cpuacct", "name=systemd"); kept in state.json.
    virtual const std::map<std::string, std::string>& paths() const = 0;
};

// Refuses resource settings no available backend can enforce, naming the
// field, so nothing is ever silently unenforced (also used with
// --cgroup-manager=disabled, where any resource is refused).
Status check_resources_supported(const spec::Spec& spec, bool cgroups_disabled);

// Absolute group path inside a hierarchy for a container: cgroupsPath
// absolute → as is; relative → under corral's own cgroup; empty → /corral/<id>.
Result<std::string> resolve_group_path(const std::string& cgroups_path, const std::string& id,
                                       const std::string& own_cgroup);

// Manager over existing groups (kill, delete, pause, update, events, ps).
std::unique_ptr<Manager> open_existing(const std::map<std::string, std::string>& paths);
// Manager for a new container's groups.
Result<std::unique_ptr<Manager>> make_manager(const spec::Spec& spec, const std::string& id);

} // namespace corral::cgroups
