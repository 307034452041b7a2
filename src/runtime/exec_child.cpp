// The container side of exec: see exec.hpp.
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/syscalls.hpp"
#include "ns/paths.hpp"
#include "runtime/exec.hpp"
#include "runtime/sibling.hpp"
#include "runtime/sync.hpp"
#include "seccomp/load.hpp"

namespace corral::runtime {

namespace {

Frame g_frame;

[[noreturn]] void fail(int sync_fd, int code) {
    const ChildError& e = child_error();
    send_error(sync_fd, e.err, e.op, e.detail);
    _exit(code);
}

// The cwd is resolved inside the container's root with magic links refused,
// so neither a symlink the container planted nor a /proc/self/fd/N path can
// lead to a directory of the host (CVE-2024-21626); getcwd then proves the
// result is under the root.
bool enter_cwd(const ProcessPlan& p) {
    int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return child_fail(errno, "open", "/");
    int dir = ns::open_in_root(root, p.cwd.c_str(), O_PATH | O_DIRECTORY);
    int saved = errno;
    ::close(root);
    if (dir < 0) return child_fail(saved, "chdir", p.cwd.c_str());
    int rc = fchdir(dir);
    saved = errno;
    ::close(dir);
    if (rc < 0) return child_fail(saved, "chdir", p.cwd.c_str());
    char buf[4096];
    if (!getcwd(buf, sizeof buf) || buf[0] != '/')
        return child_fail(errno ? errno : ENOENT,
                          "cwd is outside the container root:", p.cwd.c_str());
    return true;
}

[[noreturn]] void run_process(const ExecPlan& plan, int sync_fd) {
    const ProcessPlan& p = plan.process;
    // A session of its own, as runc's exec: the caller's terminal signals
    // reach it through corral, and a pty can become its terminal.
    setsid();
    if (plan.console.enabled && !setup_console(plan.console, p.uid, sync_fd)) fail(sync_fd, 1);
    if (!enter_cwd(p)) fail(sync_fd, 1);
    if (!apply_process_attributes(p)) fail(sync_fd, 1);
    char exe[4096];
    if (!resolve_executable(p, exe, sizeof exe)) fail(sync_fd, 1);
    // The same ordering as the init (container_init.cpp): without
    // no_new_privs a filter needs CAP_SYS_ADMIN, so it goes in first.
    bool notify = plan.seccomp && plan.seccomp->needs_notify_listener;
    bool seccomp_early = plan.seccomp && (!p.no_new_privileges || notify);
    if (seccomp_early) {
        if (notify && !apply_no_new_privs(p)) fail(sync_fd, 1);
        int listener = -1;
        if (!seccomp::load_seccomp(*plan.seccomp, notify ? &listener : nullptr)) fail(sync_fd, 1);
        if (notify) {
            if (send_frame_fd(sync_fd, Msg::SeccompFd, listener) < 0) _exit(1);
            ::close(listener);
        }
    }
    if (!apply_credentials(p)) fail(sync_fd, 1);
    if (send_frame(sync_fd, Msg::Ready, 0, nullptr, 0) < 0) _exit(1);
    // corral moves us into the container's cgroups meanwhile.
    if (expect_frame(sync_fd, Msg::CgroupsPlaced, &g_frame) < 0) _exit(1);
    if (!apply_no_new_privs(p)) fail(sync_fd, 1);
    // The sync socket stays open, close-on-exec: its EOF tells corral the
    // execve happened, and a failure below can still be reported on it.
    if (!prepare_fds_for_exec(p, sync_fd)) fail(sync_fd, 1);
    if (plan.seccomp && !seccomp_early && !seccomp::load_seccomp(*plan.seccomp)) fail(sync_fd, 1);
    reset_signal_dispositions();
    execve(exe, p.argv.get(), p.envp.get());
    child_fail(errno, "exec", exe);
    fail(sync_fd, 127);
}

} // namespace

[[noreturn]] void exec_setup_main(const ExecPlan& plan, int sync_fd) {
    // Non-dumpable before joining anything: the container's processes must
    // not ptrace us or read our /proc files while we still run corral's
    // image with the caller's privileges (CVE-2016-9962).
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    sys::close_range_cloexec(3);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (plan.join_flags && setns(plan.target_pidfd, static_cast<int>(plan.join_flags)) < 0) {
        child_fail(errno, "join the container's namespaces");
        fail(sync_fd, 1);
    }
    ::close(plan.target_pidfd);
    if (plan.fork_after_join) {
        sys::Clone3Args args;
        if (clone_sibling(sync_fd, args) < 0) fail(sync_fd, 1);
    }
    run_process(plan, sync_fd);
}

} // namespace corral::runtime
