#include "ns/bind_sources.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <string>

namespace corral::ns {

namespace {

// fd + 1, so the zero-initialised table means "none".
int g_sources[kMaxParentOpenedSources];

} // namespace

bool source_opened_by_parent(const MountPlan& m, size_t index) {
    return m.bind && !m.idmap && index < kMaxParentOpenedSources;
}

Result<std::vector<UniqueFd>> open_bind_sources(pid_t pid, const RootfsPlan& plan) {
    std::vector<UniqueFd> out;
    bool any = false;
    for (size_t i = 0; i < plan.mounts.size(); ++i)
        any = any || source_opened_by_parent(plan.mounts[i], i);
    if (!any) return out;
    UniqueFd home(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    if (!home) return sys_error("open", "/proc/self/ns/mnt");
    UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cwd) return sys_error("open current directory");
    std::string ns_path = "/proc/" + std::to_string(pid) + "/ns/mnt";
    UniqueFd theirs(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!theirs) return sys_error("open", ns_path);
    if (::setns(theirs.get(), CLONE_NEWNS) != 0)
        return sys_error("enter the container's mount namespace", ns_path);
    Error failure;
    bool failed = false;
    for (size_t i = 0; i < plan.mounts.size() && !failed; ++i) {
        const MountPlan& m = plan.mounts[i];
        if (!source_opened_by_parent(m, i)) continue;
        UniqueFd fd(::open(m.source.c_str(), O_PATH | O_CLOEXEC));
        if (!fd) {
            failure = sys_error("open mount source", m.source);
            failed = true;
        }
        out.push_back(std::move(fd));
    }
    // Back home whatever happened: setns also moved our root and cwd.
    if (::setns(home.get(), CLONE_NEWNS) != 0)
        return sys_error("return to corral's mount namespace");
    if (::fchdir(cwd.get()) != 0) return sys_error("return to the working directory");
    if (failed) return failure;
    return out;
}

void set_parent_opened_source(size_t index, int fd) {
    if (index < kMaxParentOpenedSources) g_sources[index] = fd + 1;
}

int parent_opened_source(size_t index) {
    return index < kMaxParentOpenedSources ? g_sources[index] - 1 : -1;
}

} // namespace corral::ns
