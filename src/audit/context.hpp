// Everything the checks read: the target's facts, the host's, and (for a
// corral container) its config and state. Built once by audit.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/facts.hpp"
#include "audit/report.hpp"
#include "common/unique_fd.hpp"
#include "runtime/state.hpp"
#include "spec/spec.hpp"

namespace corral::audit {

struct Context {
    Target target;
    std::optional<spec::Spec> config;             // none for --pid
    std::optional<runtime::ContainerState> state; // none for --pid
    ProcessFacts init;                            // the audited pid
    std::vector<ProcessFacts> members;            // every process of the container
    Namespaces host;                              // the auditor's own namespaces
    std::vector<MountEntry> host_mounts;          // the auditor's mountinfo
    UniqueFd root;                                // /proc/PID/root, for in-root lookups
    int pidfd = -1;                               // pins the audited process
    bool paused = false;                          // a frozen container: never ptrace it

    bool has_config() const { return config.has_value(); }
    // The config's namespace entry of a /proc type name ("mnt" is "mount",
    // "net" is "network"); nullptr when the config does not list it.
    const spec::Namespace* config_namespace(const std::string& proc_type) const;
};

// One family of checks each; they only add to the report.
void check_namespaces(const Context& c, Report& r);
void check_user(const Context& c, Report& r);
void check_credentials(const Context& c, Report& r);
void check_filesystem(const Context& c, Report& r);
void check_cgroups(const Context& c, Report& r);
void check_misc(const Context& c, Report& r);

// "CAP_SYS_ADMIN, CAP_NET_RAW" for the bits of mask.
std::string cap_names(uint64_t mask);

} // namespace corral::audit
