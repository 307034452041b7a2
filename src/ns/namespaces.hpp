// Namespaces of a container: which to create with clone3 and which to join
// by path. Join targets are opened in the parent, before any clone, so a bad
// path fails early and the child only calls setns on ready fds.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "spec/spec.hpp"

namespace corral::ns {

struct JoinPlan {
    int nstype = 0; // CLONE_NEW*
    std::string type;
    std::string path;
    int fd = -1; // owned by NamespacePlan::fds
};

struct NamespacePlan {
    unsigned long clone_flags = 0; // CLONE_NEW* to create
    std::vector<JoinPlan> joins;   // setns order: user first, mount last
    std::vector<UniqueFd> fds;
    // A joined pid or time namespace, or a new time namespace whose offsets
    // must be written before its first process exists, only applies to
    // children: an intermediate process sets it up and forks the init.
    bool needs_intermediate = false;
    bool new_time_with_offsets = false;
    bool joins_mount = false;

    bool creates(unsigned long flag) const { return (clone_flags & flag) != 0; }
};

// "pid" → CLONE_NEWPID; 0 for an unknown name.
int namespace_flag(const std::string& type);

// Pure planning (no fds opened) for unit tests; open_join_fds fills fds.
Result<NamespacePlan> plan_namespaces(const spec::Spec& spec);
Status open_join_fds(NamespacePlan& plan);

// Child side: setns into every joined namespace in order. Returns false after
// child_fail().
bool join_namespaces(const NamespacePlan& plan);
// Child side: timens offsets for a new time namespace (after unshare).
bool write_time_offsets(const spec::Spec& spec);

} // namespace corral::ns
