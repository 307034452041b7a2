#include "ns/namespaces.hpp"

#include <algorithm>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sched.h>

#include "common/child_error.hpp"
#include "common/syscalls.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace corral::ns {

int namespace_flag(const std::string& type) {
    if (type == "pid") return CLONE_NEWPID;
    if (type == "network") return CLONE_NEWNET;
    if (type == "mount") return CLONE_NEWNS;
    if (type == "ipc") return CLONE_NEWIPC;
    if (type == "uts") return CLONE_NEWUTS;
    if (type == "user") return CLONE_NEWUSER;
    if (type == "cgroup") return CLONE_NEWCGROUP;
    if (type == "time") return CLONE_NEWTIME;
    return 0;
}

// The order matters: the user namespace first so the rest are entered with
// its credentials; mount last because joining it changes what paths mean.
static int join_rank(int flag) {
    switch (flag) {
    case CLONE_NEWUSER:
        return 0;
    case CLONE_NEWIPC:
        return 1;
    case CLONE_NEWUTS:
        return 2;
    case CLONE_NEWNET:
        return 3;
    case CLONE_NEWPID:
        return 4;
    case CLONE_NEWCGROUP:
        return 5;
    case CLONE_NEWTIME:
        return 6;
    default:
        return 7;
    }
}

Result<NamespacePlan> plan_namespaces(const spec::Spec& spec) {
    NamespacePlan plan;
    if (!spec.linux) return plan;
    for (const auto& n : spec.linux->namespaces) {
        int flag = namespace_flag(n.type);
        if (flag == 0) return plain_error("linux.namespaces:", "unknown type \"" + n.type + "\"");
        if (n.path.empty()) {
            plan.clone_flags |= static_cast<unsigned long>(flag);
        } else {
            plan.joins.push_back(JoinPlan{flag, n.type, n.path, -1});
        }
    }
    std::stable_sort(plan.joins.begin(), plan.joins.end(),
                     [](const JoinPlan& a, const JoinPlan& b) {
                         return join_rank(a.nstype) < join_rank(b.nstype);
                     });
    bool joins_user = false;
    for (const auto& j : plan.joins) {
        if (j.nstype == CLONE_NEWPID || j.nstype == CLONE_NEWTIME) plan.needs_intermediate = true;
        if (j.nstype == CLONE_NEWNS) plan.joins_mount = true;
        if (j.nstype == CLONE_NEWUSER) joins_user = true;
    }
    // New namespaces belong to the user namespace of the process that makes
    // them, so whenever a user namespace is involved the joins come before
    // the clone that creates the rest: a new user namespace could no longer
    // enter the host's namespaces, and a joined one must own the new ones.
    bool creates_others = (plan.clone_flags & ~static_cast<unsigned long>(CLONE_NEWUSER)) != 0;
    if ((plan.creates(CLONE_NEWUSER) && !plan.joins.empty()) || (joins_user && creates_others))
        plan.needs_intermediate = true;
    if (plan.creates(CLONE_NEWTIME)) {
        // clone3(CLONE_NEWTIME) puts the child in the namespace at once, and
        // offsets can only be written before the first process enters it.
        plan.clone_flags &= ~static_cast<unsigned long>(CLONE_NEWTIME);
        plan.new_time_with_offsets = true;
        plan.needs_intermediate = true;
    }
    return plan;
}

Status open_join_fds(NamespacePlan& plan) {
    for (auto& j : plan.joins) {
        UniqueFd fd(::open(j.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) return sys_error("open " + j.type + " namespace", j.path);
        j.fd = fd.get();
        plan.fds.push_back(std::move(fd));
    }
    return {};
}

bool join_namespaces(const NamespacePlan& plan) {
    for (const auto& j : plan.joins) {
        if (setns(j.fd, j.nstype) < 0) {
            char what[64];
            std::snprintf(what, sizeof what, "join %s namespace", j.type.c_str());
            return child_fail(errno, what, j.path.c_str());
        }
    }
    return true;
}

bool write_time_offsets(const spec::Spec& spec) {
    if (!spec.linux) return true;
    char buf[256];
    int len = 0;
    for (const auto& [clock, off] : spec.linux->time_offsets) {
        len += std::snprintf(buf + len, sizeof buf - static_cast<size_t>(len), "%s %lld %u\n",
                             clock.c_str(), static_cast<long long>(off.secs), off.nanosecs);
        if (len >= static_cast<int>(sizeof buf)) return child_fail(E2BIG, "format time offsets");
    }
    if (len == 0) return true;
    int fd = ::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return child_fail(errno, "open", "/proc/self/timens_offsets");
    // One write per line: the kernel parses each write as a whole set.
    int rc = sys::write_all(fd, buf, static_cast<size_t>(len));
    int saved = errno;
    ::close(fd);
    if (rc < 0) return child_fail(saved, "write", "/proc/self/timens_offsets");
    return true;
}

} // namespace corral::ns
