// exec, corral's side: resolve the process, plan it, clone the setup process
// and drive the sync protocol; then place it in the container's cgroups,
// release it to execve and (in the foreground) wait for it. A failure before
// the process runs kills it: nothing of a failed exec stays in the container.
#include "runtime/exec.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <linux/sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/manager.hpp"
#include "common/log.hpp"
#include "common/syscalls.hpp"
#include "common/unix_socket.hpp"
#include "runtime/exec_cgroup.hpp"
#include "runtime/foreground.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/passed_fds.hpp"
#include "runtime/pidfile.hpp"
#include "runtime/sync.hpp"
#include "seccomp/notify.hpp"
#include "spec/parse.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace corral::runtime {

namespace {

Frame g_frame;

struct KillUnlessCommitted {
    pid_t pids[2] = {0, 0};
    bool committed = false;
    ~KillUnlessCommitted() {
        if (committed) return;
        for (pid_t p : pids) {
            if (p <= 0) continue;
            ::kill(p, SIGKILL);
            waitpid(p, nullptr, 0);
        }
    }
};

// Namespaces of the container's init that are not ours. Joining one we are
// already in is pointless, and for a user namespace the kernel refuses it.
Result<unsigned> namespaces_to_join(pid_t init) {
    static const std::pair<const char*, unsigned> types[] = {
        {"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},    {"pid", CLONE_NEWPID},
        {"net", CLONE_NEWNET},       {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},
        {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
    };
    unsigned flags = 0;
    std::string base = "/proc/" + std::to_string(init) + "/ns/";
    for (const auto& [name, flag] : types) {
        struct stat theirs {
        }, ours{};
        std::string path = base + name;
        if (stat(path.c_str(), &theirs) < 0) {
            if (errno == ENOENT) continue; // a kernel without this type
            return sys_error("stat", path);
        }
        std::string self = std::string("/proc/self/ns/") + name;
        if (stat(self.c_str(), &ours) < 0) return sys_error("stat", self);
        if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino) flags |= flag;
    }
    return flags;
}

Status receive(int fd, Msg want, const char* when, UniqueFd* passed = nullptr) {
    int got = -1;
    int rc = recv_frame_fd(fd, &g_frame, passed ? &got : nullptr);
    if (passed) passed->reset(got);
    if (rc < 0) {
        if (errno == ECONNRESET) return plain_error("exec setup process exited unexpectedly", when);
        return sys_error("read sync socket", when);
    }
    if (g_frame.type == Msg::Error) {
        const char* op;
        const char* detail;
        split_error(g_frame, &op, &detail);
        return Error{g_frame.err, op, detail};
    }
    if (g_frame.type != want)
        return plain_error("sync protocol:", std::string("expected ") + msg_name(want) + ", got " +
                                                 msg_name(g_frame.type));
    return {};
}

// After CgroupsPlaced the process either reaches execve (its end of the
// socket closes: EOF) or reports why not.
Status wait_for_execve(int fd) {
    int rc = recv_frame(fd, &g_frame);
    if (rc < 0 && errno == ECONNRESET) return {};
    if (rc < 0) return sys_error("read sync socket", "while the process starts");
    if (g_frame.type == Msg::Error) {
        const char* op;
        const char* detail;
        split_error(g_frame, &op, &detail);
        return Error{g_frame.err, op, detail};
    }
    return plain_error("sync protocol:",
                       std::string("unexpected ") + msg_name(g_frame.type) + " after start");
}

struct Target {
    ContainerState state;
    ContainerStatus status;
    UniqueFd pidfd;
    std::string config_dir;
};

Result<Target> open_target(const ExecRequest& req) {
    StateStore store(req.root);
    // Read without holding the lock for the life of the exec: a foreground
    // exec may run for days while kill and delete must still work.
    auto dir = store.open(req.id, false);
    if (!dir) return dir.error();
    auto st = dir->load();
    if (!st) return st.error();
    ContainerStatus status = derive_status(*st, dir->path());
    if (status == ContainerStatus::Paused && !req.ignore_paused)
        return plain_error("cannot exec in container " + req.id + ":",
                           "it is paused (resume it, or use --ignore-paused)");
    if (status != ContainerStatus::Created && status != ContainerStatus::Running &&
        status != ContainerStatus::Paused)
        return plain_error("cannot exec in container " + req.id + ":",
                           std::string("it is ") + status_name(status));
    auto pidfd = open_verified_pidfd(*st);
    if (!pidfd) return pidfd.error();
    std::string config_dir = dir->config_dir(*st);
    return Target{std::move(*st), status, std::move(*pidfd), std::move(config_dir)};
}

Result<ExecPlan> plan_exec(const ExecRequest& req, const ContainerState& st,
                           const std::string& config_dir) {
    auto spec = spec::load_config(config_dir);
    if (!spec) return spec.error();
    auto proc = exec_process(*spec->process, req);
    if (!proc) return proc.error();
    CORRAL_TRY(check_lsm_available(*proc));
    CORRAL_TRY(check_console_request(proc->terminal, req.detach, req.console_socket));
    auto passed = collect_passed_fds(req.preserve_fds);
    if (!passed) return passed.error();
    add_listen_env(proc->env, passed->listen);

    ExecPlan plan;
    std::vector<std::string> warnings;
    auto pp = plan_process(*proc, passed->total, &warnings);
    if (!pp) return pp.error();
    plan.process = std::move(*pp);
    plan.console = console_plan(*proc, false);
    if (spec->linux && spec->linux->seccomp) {
        auto prog = seccomp::compile_seccomp(*spec->linux->seccomp, &warnings);
        if (!prog) return prog.error();
        plan.seccomp = std::move(*prog);
        plan.listener_path = spec->linux->seccomp->listener_path;
        plan.listener_metadata = spec->linux->seccomp->listener_metadata;
    }
    for (const auto& w : warnings)
        log::warn(w);
    auto flags = namespaces_to_join(st.pid);
    if (!flags) return flags.error();
    plan.join_flags = *flags;
    plan.fork_after_join = (*flags & (CLONE_NEWPID | CLONE_NEWTIME)) != 0;
    return plan;
}

} // namespace

Result<int> exec_container(const ExecRequest& req) {
    auto target = open_target(req);
    if (!target) return target.error();
    const ContainerState& st = target->state;
    auto planned = plan_exec(req, st, target->config_dir);
    if (!planned) return planned.error();
    ExecPlan& plan = *planned;
    plan.target_pidfd = target->pidfd.get();

    auto groups = exec_cgroup_paths(st.cgroup_paths, req.sub_cgroups);
    if (!groups) return groups.error();
    // Only existing groups: a typo must fail here, not create a group no
    // one removes.
    for (const auto& [key, dir] : *groups)
        if (access(dir.c_str(), F_OK) < 0) return sys_error("exec --cgroup: open group", dir);
    std::unique_ptr<cgroups::Manager> cgroup;
    if (!groups->empty()) cgroup = cgroups::open_existing(*groups);
    UniqueFd console_sock, pidfd_sock;
    if (!req.console_socket.empty()) {
        auto s = connect_unix(req.console_socket, "console socket");
        if (!s) return s.error();
        console_sock = std::move(*s);
    }
    if (!req.pidfd_socket.empty()) {
        auto s = connect_unix(req.pidfd_socket, "pidfd socket");
        if (!s) return s.error();
        pidfd_sock = std::move(*s);
    }

    sigset_t forwarded = forwarded_signals(), old;
    if (!req.detach) sigprocmask(SIG_BLOCK, &forwarded, &old);
    struct RestoreMask {
        bool active;
        sigset_t old;
        ~RestoreMask() {
            if (active) sigprocmask(SIG_SETMASK, &old, nullptr);
        }
    } restore{!req.detach, old};

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return sys_error("socketpair");
    UniqueFd parent_sock(sv[0]), child_sock(sv[1]);
    sys::Clone3Args args;
    args.exit_signal = SIGCHLD;
    pid_t pid = sys::clone3_fork(args, nullptr);
    if (pid < 0) return sys_error("clone exec process");
    if (pid == 0) {
        ::close(sv[0]);
        exec_setup_main(plan, sv[1]);
    }
    KillUnlessCommitted undo;
    undo.pids[0] = pid;
    child_sock.reset();
    int sock = parent_sock.get();
    if (plan.fork_after_join) {
        CORRAL_TRY(receive(sock, Msg::InitPid, "while joining the container's namespaces"));
        if (g_frame.length != sizeof(int32_t))
            return plain_error("sync protocol:", "bad init-pid payload");
        int32_t p;
        std::memcpy(&p, g_frame.payload, sizeof p);
        undo.pids[1] = p;
        if (send_frame(sock, Msg::InitPidAck, 0, nullptr, 0) < 0)
            return sys_error("write sync socket");
        waitpid(pid, nullptr, 0);
        undo.pids[0] = 0;
        pid = p;
    }
    UniqueFd pidfd(sys::pidfd_open(pid));
    if (!pidfd) return sys_error("pidfd_open", std::to_string(pid));

    UniqueFd master;
    if (plan.console.enabled) {
        CORRAL_TRY(receive(sock, Msg::ConsoleFd, "while making its terminal", &master));
        CORRAL_TRY(deliver_console_master(master, console_sock.get()));
    }
    if (plan.seccomp && plan.seccomp->needs_notify_listener) {
        UniqueFd listener;
        CORRAL_TRY(receive(sock, Msg::SeccompFd, "while loading seccomp", &listener));
        if (!listener) return plain_error("sync protocol:", "seccomp-fd without an fd");
        std::string state = oci_state_json(st, target->status, false);
        CORRAL_TRY(seccomp::send_listener_fd(
            plan.listener_path, seccomp::listener_state_json(pid, plan.listener_metadata, state),
            listener.get()));
    }
    CORRAL_TRY(receive(sock, Msg::Ready, "while setting up the process"));
    if (cgroup) {
        CORRAL_TRY(cgroup->add_pid(pid));
        CORRAL_TRY(cgroup->attach_secondary(pid));
    }
    if (send_frame(sock, Msg::CgroupsPlaced, 0, nullptr, 0) < 0)
        return sys_error("write sync socket");
    // A process placed in a frozen cgroup stops before execve; it runs when
    // the container is resumed.
    bool frozen = cgroup && target->status == ContainerStatus::Paused;
    if (!frozen) CORRAL_TRY(wait_for_execve(sock));
    parent_sock.reset();

    if (!req.pid_file.empty()) CORRAL_TRY(write_pid_file(req.pid_file, pid));
    if (pidfd_sock)
        CORRAL_TRY(send_fd_message(pidfd_sock.get(), "pidfd", pidfd.get(), "pidfd socket"));
    undo.committed = true;
    if (req.detach) return 0;
    return wait_foreground(pidfd.get(), forwarded, master.get());
}

} // namespace corral::runtime
