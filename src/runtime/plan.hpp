// Plan: everything a container start needs, computed from the Spec and the
// host before any clone. The child side reads only this.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "ns/namespaces.hpp"
#include "ns/rootfs_plan.hpp"
#include "runtime/console.hpp"
#include "runtime/process.hpp"
#include "seccomp/compile.hpp"
#include "spec/spec.hpp"

namespace corral::runtime {

struct PlanOptions {
    std::string id;
    std::string bundle; // absolute
    bool no_pivot = false;
    int preserve_fds = 0;
    bool init = false; // --init
};

// corral's PID 1 (src/init): the container's init execs it instead of the
// command, with the command's resolved path in slot kInitExeSlot.
struct InitPlan {
    bool enabled = false;
    int memfd = -1; // sealed corral-init, filled by the parent
    // [corral-init, grace ms, flags, <exe>, args...]; the child fills in the
    // exe it resolved (its own copy of the array, after clone).
    mutable CStringArray argv;
};
inline constexpr size_t kInitExeSlot = 3;

struct Plan {
    std::string id;
    std::string bundle;
    spec::Spec spec;
    ns::NamespacePlan namespaces;
    bool setup_rootfs = true; // false when the mount namespace is joined
    ns::RootfsPlan rootfs;
    ProcessPlan process;
    ConsolePlan console;
    InitPlan init;
    std::optional<seccomp::SeccompProgram> seccomp; // compiled BPF, loaded by the child
    std::string hostname, domainname;
    bool set_hostname = false, set_domainname = false;
    bool has_container_hooks = false; // createContainer/startContainer
    // A fresh session keyring named after the container, so it cannot read
    // the caller's keys (runc does the same unless --no-new-keyring).
    bool new_keyring = true;
    // Filled by the parent right before clone.
    int fifo_fd = -1;   // O_PATH fd of <state>/exec.fifo
    int cgroup_fd = -1; // for CLONE_INTO_CGROUP in the intermediate
    // The state directory's lock: an flock belongs to the open file, so the
    // child's copy would hold the lock until exec unless closed at once.
    int lock_fd = -1;
    // clone3 can place the init only in the unified hierarchy; the parent
    // writes it into the v1 groups afterwards, so a new cgroup namespace is
    // unshared after that (CgroupsPlaced), or its v1 roots would be the
    // caller's groups.
    bool cgroupns_after_placement = false;
    // A new user namespace under a root corral: the bind sources come from
    // corral as fds after the id maps (ns/bind_sources.hpp).
    bool bind_sources_from_parent = false;
};

// The init reopens the exec fifo through this process's fd directory in the
// host procfs, opened before any namespace or mount changes: a joined mount
// namespace's /proc may belong to another pid namespace where /proc/self
// does not name us.

Result<Plan> build_plan(spec::Spec spec, const PlanOptions& opts,
                        std::vector<std::string>* warnings);

} // namespace corral::runtime
