#include "runtime/container_init.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/child_error.hpp"
#include "common/syscalls.hpp"
#include "ns/bind_sources.hpp"
#include "ns/paths.hpp"
#include "ns/rootfs.hpp"
#include "runtime/console.hpp"
#include "runtime/hooks.hpp"
#include "runtime/sibling.hpp"
#include "runtime/sync.hpp"
#include "seccomp/load.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace corral::runtime {

namespace {

// Frames are large; the child has one thread, so one static buffer serves.
Frame g_frame;
int g_fd_dir = -1; // /proc/self/fd of the host procfs, see plan.hpp

[[noreturn]] void fail_to_parent(int sync_fd) {
    const ChildError& e = child_error();
    send_error(sync_fd, e.err, e.op, e.detail);
    _exit(1);
}

// After Ready nobody listens on the socket any more: errors go to the
// container's stderr, as with any process that fails to start.
[[noreturn]] void fail_to_stderr(int code) {
    const ChildError& e = child_error();
    char line[600];
    int n = std::snprintf(line, sizeof line, "corral: %s%s%s%s%s\n", e.op, e.detail[0] ? " " : "",
                          e.detail, e.err ? ": " : "", e.err ? std::strerror(e.err) : "");
    if (n > 0) sys::write_all(2, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
    _exit(code);
}

bool join_new_keyring(const Plan& plan) {
    if (!plan.new_keyring) return true;
    // KEYCTL_JOIN_SESSION_KEYRING; kernels without keys answer ENOSYS.
    if (syscall(SYS_keyctl, 1, plan.id.c_str()) < 0 && errno != ENOSYS)
        return child_fail(errno, "join session keyring", plan.id.c_str());
    return true;
}

bool set_identity(const Plan& plan) {
    if (plan.set_hostname && sethostname(plan.hostname.data(), plan.hostname.size()) < 0)
        return child_fail(errno, "sethostname", plan.hostname.c_str());
    if (plan.set_domainname && setdomainname(plan.domainname.data(), plan.domainname.size()) < 0)
        return child_fail(errno, "setdomainname", plan.domainname.c_str());
    return true;
}

// The cwd is created when missing, through in-root resolution so a symlink
// planted in the image cannot send it outside; getcwd then proves it is
// inside (CVE-2024-21626 escaped through a cwd that was not).
bool enter_cwd(const Plan& plan) {
    const char* cwd = plan.process.cwd.c_str();
    if (chdir(cwd) < 0) {
        if (errno != ENOENT) return child_fail(errno, "chdir", cwd);
        int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0) return child_fail(errno, "open", "/");
        int fd = ns::mkdir_all_in_root(root, cwd, 0755);
        int saved = errno;
        ::close(root);
        if (fd < 0) return child_fail(saved, "create cwd", cwd);
        int rc = fchdir(fd);
        saved = errno;
        ::close(fd);
        if (rc < 0) return child_fail(saved, "chdir", cwd);
    }
    char buf[4096];
    if (!getcwd(buf, sizeof buf) || buf[0] != '/')
        return child_fail(errno ? errno : ENOENT, "cwd is outside the container root:", cwd);
    return true;
}

// Blocks until `start` opens the fifo for reading. The writer stays open,
// close-on-exec: `start` reads one byte once startContainer hooks ran, then
// EOF exactly when execve replaced us, and only then runs poststart hooks.
int open_exec_fifo(const Plan& plan) {
    char name[16];
    std::snprintf(name, sizeof name, "%d", plan.fifo_fd);
    int fd = ::openat(g_fd_dir, name, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return child_fail(errno, "open exec fifo"), -1;
    return fd;
}

// A `start` SIGKILLed between its open of the fifo and our write leaves no
// reader, and the write fails with EPIPE. That start never released us, so we
// wait for the next one instead of dying: the container stays created, as its
// state says. SIGPIPE is blocked for the write and a pending one consumed, so
// it neither kills us nor reaches corral-init's signalfd after exec.
// startContainer hooks run once, for the start that first opened the fifo.
int release_through_exec_fifo(const Plan& plan, std::string_view state_json) {
    sigset_t pipe_set, old_mask;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
    bool hooks_ran = false;
    for (;;) {
        int fifo = open_exec_fifo(plan);
        if (fifo < 0) return -1;
        if (!hooks_ran && plan.spec.hooks && !plan.spec.hooks->start_container.empty()) {
            auto r = run_hooks(plan.spec.hooks->start_container, state_json, "startContainer");
            if (!r) {
                child_fail(r.error().err, r.error().op.c_str(), r.error().detail.c_str());
                return -1;
            }
        }
        hooks_ran = true;
        if (sys::write_all(fifo, "0", 1) == 0) {
            sigprocmask(SIG_SETMASK, &old_mask, nullptr);
            ::close(plan.fifo_fd);
            ::close(g_fd_dir);
            return fifo;
        }
        int err = errno;
        ::close(fifo);
        if (err != EPIPE) return child_fail(err, "write exec fifo"), -1;
        const timespec no_wait{};
        while (sigtimedwait(&pipe_set, nullptr, &no_wait) == SIGPIPE) {
        }
    }
}

// The parent writes our maps (it holds the privilege over the host ids);
// until then our ids are unmapped and no file can be created. Then become
// the namespace's root, so setup runs as it and files get mapped owners.
// A joined namespace has its maps already; EINVAL there means it does not
// map 0, and setup goes on with the caller's ids.
bool receive_bind_sources(const Plan& plan, int sync_fd) {
    const auto& mounts = plan.rootfs.mounts;
    for (size_t i = 0; i < mounts.size(); ++i) {
        if (!ns::source_opened_by_parent(mounts[i], i)) continue;
        int fd = -1;
        if (recv_frame_fd(sync_fd, &g_frame, &fd) < 0 || g_frame.type != Msg::MountSourceFd ||
            fd < 0)
            return child_fail(EPROTO, "receive mount source", mounts[i].source.c_str());
        ns::set_parent_opened_source(i, fd);
    }
    return true;
}

bool enter_user_namespace(const Plan& plan, int sync_fd) {
    bool created = plan.namespaces.creates(CLONE_NEWUSER);
    bool joined = false;
    for (const auto& j : plan.namespaces.joins)
        joined = joined || j.nstype == CLONE_NEWUSER;
    if (!created && !joined) return true;
    if (created) {
        // A non-dumpable process's /proc files belong to root, so an
        // unprivileged parent could not write the maps; dumpable only for
        // this exchange, before any code of the container exists.
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        if (send_frame(sync_fd, Msg::IdMapRequest, 0, nullptr, 0) < 0) _exit(1);
        if (expect_frame(sync_fd, Msg::IdMapDone, &g_frame) < 0) _exit(1);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (plan.bind_sources_from_parent && !receive_bind_sources(plan, sync_fd)) return false;
    }
    if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
        return child_fail(errno, "setresgid", "0 in the user namespace");
    if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
        return child_fail(errno, "setresuid", "0 in the user namespace");
    return true;
}

} // namespace

[[noreturn]] void container_init_main(const Plan& plan, int sync_fd, bool namespaces_joined) {
    if (plan.lock_fd >= 0) ::close(plan.lock_fd);
    // Non-dumpable before touching anything of the container, so its
    // processes cannot ptrace us or open our /proc files (CVE-2019-5736).
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    sys::close_range_cloexec(3);
    // Taken before anything here can fail: a frame left unread in our
    // socket when we exit would make the kernel drop our Error report
    // (ECONNRESET on the parent's side).
    if (plan.cgroupns_after_placement && expect_frame(sync_fd, Msg::CgroupsPlaced, &g_frame) < 0)
        _exit(1);
    g_fd_dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (g_fd_dir < 0) {
        child_fail(errno, "open", "/proc/self/fd");
        fail_to_parent(sync_fd);
    }
    // `run` blocks signals to forward them; the container starts clean. With
    // corral's PID 1 everything stays blocked through its execveat instead:
    // the kernel drops a signal to a namespace's init that has no handler,
    // unless it is blocked, and blocked ones stay pending across exec, so a
    // signal sent while created or right after start reaches corral-init's
    // signalfd and then the command.
    sigset_t mask;
    if (plan.init.enabled)
        sigfillset(&mask);
    else
        sigemptyset(&mask);
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    // Its own session, as with runc: the caller's terminal signals reach the
    // container only through corral, and a pty can become its terminal.
    setsid();
    if (!namespaces_joined && !ns::join_namespaces(plan.namespaces)) fail_to_parent(sync_fd);
    if (!enter_user_namespace(plan, sync_fd)) fail_to_parent(sync_fd);
    if (plan.cgroupns_after_placement && unshare(CLONE_NEWCGROUP) < 0) {
        child_fail(errno, "unshare cgroup namespace");
        fail_to_parent(sync_fd);
    }
    if (!set_identity(plan)) fail_to_parent(sync_fd);
    if (!join_new_keyring(plan)) fail_to_parent(sync_fd);
    if (plan.setup_rootfs && !ns::prepare_rootfs(plan.rootfs)) fail_to_parent(sync_fd);

    if (send_frame(sync_fd, Msg::RuntimeHooks, 0, nullptr, 0) < 0) _exit(1);
    if (expect_frame(sync_fd, Msg::RuntimeHooksDone, &g_frame) < 0) _exit(1);
    std::string_view state_json(g_frame.payload, g_frame.length);
    if (plan.spec.hooks) {
        auto r = run_hooks(plan.spec.hooks->create_container, state_json, "createContainer");
        if (!r) {
            child_fail(r.error().err, r.error().op.c_str(), r.error().detail.c_str());
            fail_to_parent(sync_fd);
        }
    }

    // The pty comes from the container's devpts, so after pivot_root; and
    // before a read-only root or masks, since /dev/console is bound onto.
    if (plan.setup_rootfs && !ns::enter_rootfs(plan.rootfs)) fail_to_parent(sync_fd);
    if (plan.console.enabled && !setup_console(plan.console, plan.process.uid, sync_fd))
        fail_to_parent(sync_fd);
    if (plan.setup_rootfs && !ns::finish_rootfs(plan.rootfs)) fail_to_parent(sync_fd);
    if (!enter_cwd(plan)) fail_to_parent(sync_fd);
    if (!apply_process_attributes(plan.process)) fail_to_parent(sync_fd);
    char exe[4096];
    if (!resolve_executable(plan.process, exe, sizeof exe)) fail_to_parent(sync_fd);
    // Without no_new_privs the kernel only lets a CAP_SYS_ADMIN holder load
    // a filter, so it goes in before the capabilities are dropped; with it,
    // as late as possible, so setup itself is not filtered.
    // A notify listener must reach the parent before Ready, so such a filter
    // is loaded here too (after no_new_privs when configured).
    bool notify = plan.seccomp && plan.seccomp->needs_notify_listener;
    bool seccomp_early = plan.seccomp && (!plan.process.no_new_privileges || notify);
    if (seccomp_early) {
        if (notify && !apply_no_new_privs(plan.process)) fail_to_parent(sync_fd);
        int listener = -1;
        if (!seccomp::load_seccomp(*plan.seccomp, notify ? &listener : nullptr))
            fail_to_parent(sync_fd);
        if (notify) {
            if (send_frame_fd(sync_fd, Msg::SeccompFd, listener) < 0) _exit(1);
            ::close(listener);
        }
    }
    if (!apply_credentials(plan.process)) fail_to_parent(sync_fd);

    if (send_frame(sync_fd, Msg::Ready, 0, nullptr, 0) < 0) _exit(1);
    ::close(sync_fd);

    int fifo = release_through_exec_fifo(plan, state_json);
    if (fifo < 0) fail_to_stderr(1);
    if (!apply_no_new_privs(plan.process)) fail_to_stderr(1);
    if (!prepare_fds_for_exec(plan.process, fifo, plan.init.memfd)) fail_to_stderr(1);
    if (plan.seccomp && !seccomp_early && !seccomp::load_seccomp(*plan.seccomp)) fail_to_stderr(1);
    reset_signal_dispositions();
    if (plan.init.enabled) {
        // corral's PID 1 from its sealed memfd; it execs the command we resolved.
        plan.init.argv.ptrs[kInitExeSlot] = exe;
        syscall(SYS_execveat, plan.init.memfd, "", plan.init.argv.get(), plan.process.envp.get(),
                AT_EMPTY_PATH);
        child_fail(errno, "exec", "corral-init");
        fail_to_stderr(127);
    }
    execve(exe, plan.process.argv.get(), plan.process.envp.get());
    child_fail(errno, "exec", exe);
    fail_to_stderr(127);
}

[[noreturn]] void intermediate_main(const Plan& plan, int sync_fd) {
    if (plan.lock_fd >= 0) ::close(plan.lock_fd);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    sys::close_range_cloexec(3);
    if (!ns::join_namespaces(plan.namespaces)) fail_to_parent(sync_fd);
    if (plan.namespaces.new_time_with_offsets) {
        if (unshare(CLONE_NEWTIME) < 0) {
            child_fail(errno, "unshare time namespace");
            fail_to_parent(sync_fd);
        }
        if (!ns::write_time_offsets(plan.spec)) fail_to_parent(sync_fd);
    }
    sys::Clone3Args args;
    args.flags = plan.namespaces.clone_flags;
    if (plan.cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(plan.cgroup_fd);
    }
    if (clone_sibling(sync_fd, args) < 0) fail_to_parent(sync_fd);
    container_init_main(plan, sync_fd, true);
}

} // namespace corral::runtime
