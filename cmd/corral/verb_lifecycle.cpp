// create, start, run: the verbs that bring a container up.
#include <memory>

#include "cli.hpp"
#include "common/log.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/run.hpp"

namespace corral::cli {

namespace {

struct CreateFlags {
    runtime::CreateRequest req;
    bool detach = false;
    bool keep = false;
};

void add_create_flags(CLI::App* cmd, CreateFlags& f) {
    cmd->add_option("-b,--bundle", f.req.bundle, "bundle directory (default: current directory)");
    cmd->add_option("--pid-file", f.req.pid_file, "file to write the container's pid to");
    cmd->add_option("--console-socket", f.req.console_socket,
                    "AF_UNIX socket that receives the pty master");
    cmd->add_flag("--no-pivot", f.req.no_pivot, "use MS_MOVE and chroot instead of pivot_root");
    cmd->add_flag("--no-new-keyring", f.req.no_new_keyring, "keep the caller's session keyring");
    cmd->add_option("--preserve-fds", f.req.preserve_fds, "extra fds passed to the container")
        ->check(CLI::Range(0, 1 << 20));
    cmd->add_flag("--init", f.req.init,
                  "run corral's PID 1 (reaper, signal forwarding) in front of the process");
    cmd->add_option("id", f.req.id, "container id")->required();
}

// The global flags the request needs, checked once the command line parsed.
void finish_request(runtime::CreateRequest& req, const Globals& g) {
    check_id(req.id);
    if (g.systemd_cgroup || g.cgroup_manager == "systemd")
        throw CliError{
            "systemd cgroup driver: not implemented yet (use --cgroup-manager cgroupfs)"};
    req.root = state_root(g);
    req.no_cgroup = g.cgroup_manager == "disabled";
}

} // namespace

void register_create(CLI::App& app, Globals& g) {
    auto f = std::make_shared<CreateFlags>();
    auto* cmd = app.add_subcommand("create", "create a container (stopped before its process)");
    add_create_flags(cmd, *f);
    cmd->callback([f, &g] {
        setup_log(g);
        finish_request(f->req, g);
        check(runtime::create_container(f->req));
    });
}

void register_start(CLI::App& app, Globals& g) {
    auto id = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("start", "run the process of a created container");
    cmd->add_option("id", *id, "container id")->required();
    cmd->callback([id, &g] {
        setup_log(g);
        check_id(*id);
        check(runtime::start_container(runtime::StateStore(state_root(g)), *id));
    });
}

void register_run(CLI::App& app, Globals& g) {
    auto f = std::make_shared<CreateFlags>();
    auto* cmd = app.add_subcommand("run", "create and start a container");
    add_create_flags(cmd, *f);
    cmd->add_flag("-d,--detach", f->detach, "return once the process runs");
    cmd->add_flag("--keep", f->keep, "keep the container after it exits");
    cmd->callback([f, &g] {
        setup_log(g);
        finish_request(f->req, g);
        auto r = runtime::run_container(f->req, f->detach, f->keep);
        check(r);
        g.exit_code = *r;
    });
}

} // namespace corral::cli
