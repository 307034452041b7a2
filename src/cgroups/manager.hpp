// The cgroup Manager: where a container's processes live and, in later
// backends, what limits them. The core places every container in its own
// group of the unified (cgroup2) hierarchy; resource controllers, v1 and the
// systemd driver slot in behind this interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "spec/spec.hpp"

namespace corral::cgroups {

class Manager {
public:
    virtual ~Manager() = default;
    // Creates the container's group (and missing ancestors); fails if it exists.
    virtual Status create() = 0;
    // A directory fd for clone3(CLONE_INTO_CGROUP), or -1 when unsupported.
    virtual int placement_fd() const = 0;
    // Fallback placement when CLONE_INTO_CGROUP was not used.
    virtual Status add_pid(pid_t pid) = 0;
    // Placement in the groups clone3 cannot reach (v1 hierarchies of a
    // hybrid host); done before the init reports RuntimeHooks, so before it
    // opens any device.
    virtual Status attach_secondary(pid_t pid) = 0;
    virtual Result<std::vector<pid_t>> pids() const = 0;
    virtual Status kill_all(int sig) = 0;
    // Removes the group corral created (never an ancestor that others use).
    virtual Status destroy() = 0;
    virtual const std::string& path() const = 0;
    // The v1 devices group, or "" when the unified group does it all.
    virtual const std::string& devices_path() const = 0;
};

// Refuses resource settings this build cannot enforce yet, naming the field,
// so nothing is ever silently unenforced.
Status check_resources_supported(const spec::Spec& spec);

// Absolute group path inside the hierarchy for a container: cgroupsPath
// absolute → as is; relative → under corral's own cgroup; empty → /corral/<id>.
Result<std::string> resolve_group_path(const std::string& cgroups_path, const std::string& id,
                                       const std::string& own_cgroup);

// The cgroup2 mount to use: /sys/fs/cgroup when it is cgroup2, else the
// hybrid /sys/fs/cgroup/unified; "" when there is none.
std::string unified_mountpoint();
// This process's group in the unified hierarchy ("0::/x" in /proc/self/cgroup).
std::string own_unified_group();

// Manager over an existing cgroup2 group directory (used by kill/delete).
std::unique_ptr<Manager> open_existing(const std::string& dir, const std::string& devices_dir);
// Manager for a new container group.
Result<std::unique_ptr<Manager>> make_manager(const spec::Spec& spec, const std::string& id);

} // namespace corral::cgroups
