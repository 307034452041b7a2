// create: parse → validate → plan → clone, then drive the sync protocol until
// the init reports Ready. Any failure tears down everything made so far.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "common/log.hpp"
#include "common/syscalls.hpp"
#include "common/unix_socket.hpp"
#include "init/embedded.hpp"
#include "init/options.hpp"
#include "ns/bind_sources.hpp"
#include "ns/cgroup_view.hpp"
#include "ns/idmap.hpp"
#include "ns/idmapped_mount.hpp"
#include "runtime/console.hpp"
#include "runtime/container_init.hpp"
#include "runtime/hooks.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/passed_fds.hpp"
#include "runtime/pidfile.hpp"
#include "runtime/plan.hpp"
#include "runtime/sync.hpp"
#include "seccomp/notify.hpp"
#include "spec/parse.hpp"
#include "spec/validate.hpp"

namespace corral::runtime {

namespace {

Frame g_frame;

// Everything create made, undone in reverse unless commit() is called.
struct Teardown {
    ContainerDir* dir = nullptr;
    cgroups::Manager* cgroup = nullptr;
    pid_t child = 0; // the init (or intermediate) we must kill and reap
    pid_t intermediate = 0;
    bool committed = false;

    void commit() { committed = true; }
    ~Teardown() {
        if (committed) return;
        for (pid_t p : {intermediate, child}) {
            if (p <= 0) continue;
            ::kill(p, SIGKILL);
            waitpid(p, nullptr, 0);
        }
        if (cgroup) {
            (void)cgroup->kill_all(SIGKILL);
            (void)cgroup->destroy();
        }
        if (dir) (void)dir->remove();
    }
};

Error child_error_of(const Frame& f) {
    const char* op;
    const char* detail;
    split_error(f, &op, &detail);
    return Error{f.err, op, detail};
}

Error init_died(pid_t pid, const char* when) {
    int status = 0;
    std::string how = "exited unexpectedly";
    if (waitpid(pid, &status, 0) == pid) {
        if (WIFEXITED(status))
            how = "exited with status " + std::to_string(WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            how = "was killed by signal " + std::to_string(WTERMSIG(status));
    }
    return plain_error(std::string("container init ") + how, when);
}

// Receives the next frame; a child's Error frame becomes the returned error.
// An fd passed with it lands in *passed (closed by the caller's UniqueFd).
Status receive(int fd, Msg want, pid_t pid, const char* when, UniqueFd* passed = nullptr) {
    int got = -1;
    int rc = recv_frame_fd(fd, &g_frame, passed ? &got : nullptr);
    if (passed) passed->reset(got);
    if (rc < 0) {
        if (errno == ECONNRESET) return init_died(pid, when);
        return sys_error("read sync socket", when);
    }
    if (g_frame.type == Msg::Error) return child_error_of(g_frame);
    if (g_frame.type != want)
        return plain_error("sync protocol:", std::string("expected ") + msg_name(want) + ", got " +
                                                 msg_name(g_frame.type));
    return {};
}

Result<std::string> absolute(const std::string& p) {
    char buf[4096];
    if (!realpath(p.c_str(), buf)) return sys_error("resolve bundle", p);
    return std::string(buf);
}

bool is_permission_error(int err) {
    return err == EACCES || err == EPERM || err == EROFS;
}

} // namespace

Result<Created> create_container(const CreateRequest& req) {
    auto bundle = absolute(req.bundle.empty() ? "." : req.bundle);
    if (!bundle) return bundle.error();
    auto config_text = read_file(*bundle + "/config.json");
    if (!config_text) return config_text.error();
    auto spec = spec::parse_config(*config_text);
    if (!spec) return spec.error();
    CORRAL_TRY(spec::validate_spec(*spec, *bundle));
    CORRAL_TRY(check_lsm_available(*spec->process));
    bool terminal = spec->process->terminal;
    CORRAL_TRY(check_console_request(terminal, req.detached, req.console_socket));
    auto passed = collect_passed_fds(req.preserve_fds);
    if (!passed) return passed.error();
    auto init_opts = init::options_for(*spec, req.init);
    if (!init_opts) return init_opts.error();
    add_listen_env(spec->process->env, passed->listen, init_opts->enabled ? 2 : 1);

    std::vector<std::string> warnings;
    PlanOptions opts{req.id, *bundle, req.no_pivot, passed->total, req.init};
    auto planned = build_plan(std::move(*spec), opts, &warnings);
    if (!planned) return planned.error();
    Plan& plan = *planned;
    for (const auto& w : warnings)
        log::warn(w);
    Result<std::unique_ptr<cgroups::Manager>> cg = std::unique_ptr<cgroups::Manager>();
    if (req.no_cgroup)
        CORRAL_TRY(cgroups::check_resources_supported(plan.spec, true));
    else
        cg = cgroups::make_manager(plan.spec, req.id);
    if (!cg) return cg.error();
    CORRAL_TRY(ns::open_join_fds(plan.namespaces));
    // Connected before anything is made: a socket nobody listens on is the
    // caller's mistake and must leave nothing behind.
    UniqueFd console_sock;
    if (!req.console_socket.empty()) {
        auto sock = connect_unix(req.console_socket, "console socket");
        if (!sock) return sock.error();
        console_sock = std::move(*sock);
    }
    // Detached id-mapped trees the init moves into place; closed when create returns.
    auto idmapped = ns::prepare_idmapped_mounts(plan.rootfs, plan.setup_rootfs);
    if (!idmapped) return idmapped.error();

    StateStore store(req.root);
    auto dir = store.create(req.id);
    if (!dir) return dir.error();
    Teardown undo;
    undo.dir = &*dir;

    ContainerState st;
    st.oci_version = plan.spec.oci_version;
    st.id = req.id;
    st.bundle = *bundle;
    st.rootfs = plan.rootfs.rootfs;
    st.created = rfc3339_now();
    st.annotations = plan.spec.annotations;
    st.owner = geteuid();
    if (*cg) st.cgroup_paths = (*cg)->paths();
    if (plan.spec.hooks) {
        st.poststart = plan.spec.hooks->poststart;
        st.poststop = plan.spec.hooks->poststop;
    }
    // Recorded before the cgroup exists so an interrupted create can still
    // be cleaned up by `delete -f`.
    CORRAL_TRY(dir->save(st));
    CORRAL_TRY(dir->save_config(*config_text));
    if (*cg) {
        bool secondary = (*cg)->paths().size() > 1 || !(*cg)->paths().count("unified");
        if (secondary && plan.namespaces.creates(CLONE_NEWCGROUP)) {
            plan.namespaces.clone_flags &= ~static_cast<unsigned long>(CLONE_NEWCGROUP);
            plan.cgroupns_after_placement = true;
        }
        auto made = (*cg)->create();
        if (!made && geteuid() != 0 && is_permission_error(made.error().err)) {
            // Rootless without a delegated subtree: limits cannot be had,
            // but a container without any runs, as with runc and crun.
            auto limits = cgroups::check_resources_supported(plan.spec, true);
            if (!limits)
                return plain_error(limits.error().op,
                                   "rootless containers need a delegated cgroup (" +
                                       made.error().message() + ")");
            log::info("running without a cgroup: " + made.error().message());
            cg->reset();
            if (plan.cgroupns_after_placement) {
                plan.cgroupns_after_placement = false;
                plan.namespaces.clone_flags |= CLONE_NEWCGROUP;
            }
            st.cgroup_paths.clear();
            CORRAL_TRY(dir->save(st));
        } else {
            CORRAL_TRY(made);
            undo.cgroup = cg->get();
            plan.cgroup_fd = (*cg)->placement_fd();
            // A rootless create may drop a group it cannot have (the hybrid
            // unified one); the state must name exactly what exists.
            if ((*cg)->paths() != st.cgroup_paths) {
                st.cgroup_paths = (*cg)->paths();
                CORRAL_TRY(dir->save(st));
            }
        }
    }

    // After the groups exist (or were given up), so the view shows the
    // container's own.
    ns::plan_cgroup_view(plan.rootfs, cgroups::host_layout(),
                         *cg ? (*cg)->paths() : std::map<std::string, std::string>{},
                         cgroups::own_groups());

    std::string fifo = dir->file("exec.fifo");
    // 0622: the init may have dropped to any uid before it opens it.
    if (mkfifo(fifo.c_str(), 0622) < 0) return sys_error("mkfifo", fifo);
    chmod(fifo.c_str(), 0622);
    UniqueFd fifo_fd(::open(fifo.c_str(), O_PATH | O_CLOEXEC));
    if (!fifo_fd) return sys_error("open", fifo);
    plan.fifo_fd = fifo_fd.get();
    UniqueFd init_memfd;
    if (plan.init.enabled) {
        auto m = init::sealed_init_memfd();
        if (!m) return m.error();
        init_memfd = std::move(*m);
        plan.init.memfd = init_memfd.get();
    }
    plan.lock_fd = dir->fd();
    plan.bind_sources_from_parent =
        plan.setup_rootfs && plan.namespaces.creates(CLONE_NEWUSER) && geteuid() == 0;
    plan.new_keyring = !req.no_new_keyring;

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return sys_error("socketpair");
    UniqueFd parent_sock(sv[0]), child_sock(sv[1]);

    sys::Clone3Args args;
    int pidfd = -1;
    args.flags = CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    bool intermediate = plan.namespaces.needs_intermediate;
    if (!intermediate) {
        args.flags |= plan.namespaces.clone_flags;
        if (plan.cgroup_fd >= 0) {
            args.flags |= CLONE_INTO_CGROUP;
            args.cgroup = static_cast<uint64_t>(plan.cgroup_fd);
        }
    }
    bool placed = false;
    pid_t pid = sys::clone3_fork(args, &placed);
    if (pid < 0) {
        // Entering a group needs write access to the cgroup.procs of the
        // common ancestor of where we are and where we go: a rootless
        // caller's own processes must already live in its delegated subtree.
        if (errno == EACCES && geteuid() != 0 && plan.cgroup_fd >= 0)
            return sys_error("clone container process",
                             "into " + st.cgroup_paths["unified"] +
                                 " (a rootless caller must itself run inside the delegated "
                                 "cgroup subtree)");
        return sys_error("clone container process");
    }
    if (pid == 0) {
        parent_sock.release();
        ::close(sv[0]);
        if (intermediate) intermediate_main(plan, sv[1]);
        container_init_main(plan, sv[1], false);
    }
    UniqueFd child_pidfd(pidfd);
    child_sock.reset();
    pid_t init = pid;
    if (intermediate) {
        undo.intermediate = pid;
        CORRAL_TRY(receive(parent_sock.get(), Msg::InitPid, pid, "before reporting the init pid"));
        if (g_frame.length != sizeof(int32_t))
            return plain_error("sync protocol:", "bad init-pid payload");
        int32_t p;
        memcpy(&p, g_frame.payload, sizeof p);
        init = p;
        undo.child = init;
        if (send_frame(parent_sock.get(), Msg::InitPidAck, 0, nullptr, 0) < 0)
            return sys_error("write sync socket");
        int status = 0;
        waitpid(pid, &status, 0);
        undo.intermediate = 0;
        child_pidfd.reset(sys::pidfd_open(init));
        if (!child_pidfd) return sys_error("pidfd_open", std::to_string(init));
        placed = plan.cgroup_fd >= 0;
    } else {
        undo.child = init;
    }
    if (!placed && *cg) CORRAL_TRY((*cg)->add_pid(init));
    if (*cg) CORRAL_TRY((*cg)->attach_secondary(init));
    if (plan.cgroupns_after_placement &&
        send_frame(parent_sock.get(), Msg::CgroupsPlaced, 0, nullptr, 0) < 0)
        return sys_error("write sync socket");
    if (plan.namespaces.creates(CLONE_NEWUSER)) {
        CORRAL_TRY(receive(parent_sock.get(), Msg::IdMapRequest, init, "before its id maps"));
        const auto& lx = *plan.spec.linux;
        // Unprivileged without extra groups to set: deny setgroups, which
        // the kernel demands before an unprivileged gid_map write anyway.
        bool deny = geteuid() != 0 && plan.spec.process->user.additional_gids.empty();
        CORRAL_TRY(ns::write_id_maps(init, lx.uid_mappings, lx.gid_mappings, deny));
        if (send_frame(parent_sock.get(), Msg::IdMapDone, 0, nullptr, 0) < 0)
            return sys_error("write sync socket");
        if (plan.bind_sources_from_parent) {
            auto sources = ns::open_bind_sources(init, plan.rootfs);
            if (!sources) return sources.error();
            for (const UniqueFd& fd : *sources)
                if (send_frame_fd(parent_sock.get(), Msg::MountSourceFd, fd.get()) < 0)
                    return sys_error("write sync socket");
        }
    }

    st.pid = init;
    st.start_time = sys::process_start_time(init);
    // The init is a clone of this process: until its execve it runs our image.
    st.init_exe = exe_identity("/proc/self/exe");
    CORRAL_TRY(dir->save(st));

    CORRAL_TRY(receive(parent_sock.get(), Msg::RuntimeHooks, init, "while preparing the rootfs"));
    std::string creating = oci_state_json(st, ContainerStatus::Creating, false);
    if (plan.spec.hooks) {
        CORRAL_TRY(run_hooks(plan.spec.hooks->prestart, creating, "prestart"));
        CORRAL_TRY(run_hooks(plan.spec.hooks->create_runtime, creating, "createRuntime"));
    }
    if (send_frame(parent_sock.get(), Msg::RuntimeHooksDone, 0, creating.data(),
                   static_cast<uint32_t>(creating.size())) < 0)
        return sys_error("write sync socket");
    UniqueFd master;
    if (terminal) {
        CORRAL_TRY(
            receive(parent_sock.get(), Msg::ConsoleFd, init, "while making its terminal", &master));
        CORRAL_TRY(deliver_console_master(master, console_sock.get()));
    }
    if (plan.seccomp && plan.seccomp->needs_notify_listener) {
        UniqueFd listener;
        CORRAL_TRY(
            receive(parent_sock.get(), Msg::SeccompFd, init, "while loading seccomp", &listener));
        if (!listener) return plain_error("sync protocol:", "seccomp-fd without an fd");
        const auto& sc = *plan.spec.linux->seccomp;
        CORRAL_TRY(seccomp::send_listener_fd(
            sc.listener_path, seccomp::listener_state_json(init, sc.listener_metadata, creating),
            listener.get()));
    }
    CORRAL_TRY(receive(parent_sock.get(), Msg::Ready, init, "while setting up the container"));

    if (!req.pid_file.empty()) CORRAL_TRY(write_pid_file(req.pid_file, init));
    undo.commit();
    return Created{st, std::move(child_pidfd), std::move(master)};
}

} // namespace corral::runtime
