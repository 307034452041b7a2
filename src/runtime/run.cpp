// `run`: create + start in one process, then (in the foreground) forward
// signals to the container, relay its terminal, and exit with its status.
#include <csignal>

#include "cgroups/manager.hpp"
#include "common/log.hpp"
#include "runtime/foreground.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/run.hpp"

namespace corral::runtime {

Result<int> run_container(const CreateRequest& req, bool detach, bool keep) {
    StateStore store(req.root);
    sigset_t set = forwarded_signals(), old;
    if (!detach) sigprocmask(SIG_BLOCK, &set, &old);

    CreateRequest r = req;
    r.detached = detach;
    auto created = create_container(r);
    if (!created) return created.error();
    auto started = start_container(store, req.id);
    if (!started) {
        (void)delete_container(store, req.id, true);
        return started.error();
    }
    if (detach) return 0;

    auto code = wait_foreground(created->pidfd.get(), set, created->master.get());
    // Read before delete removes the cgroup: an OOM kill anywhere in the
    // container is what the caller needs to know, whatever the exit status.
    if (code && !created->state.cgroup_paths.empty()) {
        auto kills = cgroups::open_existing(created->state.cgroup_paths)->oom_kills();
        if (kills && *kills > 0) {
            log::warn("container " + req.id + " was OOM-killed (" + std::to_string(*kills) +
                      (*kills == 1 ? " process" : " processes") + " killed by the kernel)");
            code = 137;
        }
    }
    if (!keep) {
        auto d = delete_container(store, req.id, true);
        if (!d) log::warn(d.error().message());
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return code;
}

} // namespace corral::runtime
