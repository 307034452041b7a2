// `run`: create + start in one process, then (in the foreground) forward
// signals to the container and exit with its status.
#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.hpp"
#include "common/syscalls.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/run.hpp"

namespace corral::runtime {

namespace {

sigset_t forwarded_signals() {
    sigset_t set;
    sigfillset(&set);
    // Synchronous faults must stay deliverable to corral itself.
    for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS, SIGKILL, SIGSTOP})
        sigdelset(&set, s);
    return set;
}

int exit_code_of(const siginfo_t& info) {
    if (info.si_code == CLD_EXITED) return info.si_status;
    return 128 + info.si_status;
}

} // namespace

Result<int> run_container(const CreateRequest& req, bool detach, bool keep) {
    StateStore store(req.root);
    // Block before the clone so no signal is lost between create and the
    // wait loop; the container init resets its mask before exec.
    sigset_t set = forwarded_signals(), old;
    if (!detach) sigprocmask(SIG_BLOCK, &set, &old);

    auto created = create_container(req);
    if (!created) return created.error();
    auto started = start_container(store, req.id);
    if (!started) {
        (void)delete_container(store, req.id, true);
        return started.error();
    }
    if (detach) return 0;

    UniqueFd sfd(signalfd(-1, &set, SFD_CLOEXEC));
    if (!sfd) return sys_error("signalfd");
    int pidfd = created->pidfd.get();
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    int code = 0;
    for (;;) {
        int r = poll(fds, 2, -1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return sys_error("poll");
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo si{};
            if (sys::read_retry(sfd.get(), &si, sizeof si) == sizeof si &&
                si.ssi_signo != SIGCHLD) {
                if (sys::pidfd_send_signal(pidfd, static_cast<int>(si.ssi_signo)) < 0 &&
                    errno != ESRCH)
                    log::warn("forward signal " + std::to_string(si.ssi_signo) + ": " +
                              sys_error("").message());
            }
        }
        if (fds[0].revents & POLLIN) {
            siginfo_t info{};
            if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) <
                0)
                return sys_error("wait for container process");
            code = exit_code_of(info);
            break;
        }
    }
    if (!keep) {
        auto r = delete_container(store, req.id, true);
        if (!r) log::warn(r.error().message());
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return code;
}

} // namespace corral::runtime
