// exec: run a new process in an existing container, with runc's flags.
#include <memory>

#include "cli.hpp"
#include "common/log.hpp"
#include "runtime/exec.hpp"

namespace corral::cli {

void register_exec(CLI::App& app, Globals& g) {
    auto r = std::make_shared<runtime::ExecRequest>();
    auto* cmd = app.add_subcommand("exec", "run a new process inside a container");
    cmd->add_option("-p,--process", r->process_file, "process.json: the whole process");
    cmd->add_flag("-t,--tty", r->tty, "allocate a pty for the process");
    cmd->add_option("--console-socket", r->console_socket,
                    "AF_UNIX socket that receives the pty master (with -d -t)");
    cmd->add_option("--cwd", r->cwd, "working directory inside the container");
    cmd->add_option("-e,--env", r->env, "set an environment variable (KEY=VALUE)")
        ->allow_extra_args(false);
    cmd->add_option("-u,--user", r->user, "UID[:GID] to run as");
    cmd->add_option("-g,--additional-gids", r->additional_gids, "extra group id")
        ->allow_extra_args(false);
    cmd->add_option("-c,--cap", r->caps, "add a capability (bounding, effective, permitted)")
        ->allow_extra_args(false);
    cmd->add_flag("--no-new-privs", r->no_new_privs, "set no_new_privs");
    cmd->add_option("--apparmor", r->apparmor, "AppArmor profile");
    cmd->add_option("--process-label", r->process_label, "SELinux label");
    cmd->add_flag("-d,--detach", r->detach, "return once the process runs");
    cmd->add_option("--pid-file", r->pid_file, "file to write the process's pid to");
    cmd->add_option("--preserve-fds", r->preserve_fds, "extra fds passed to the process")
        ->check(CLI::Range(0, 1 << 20));
    cmd->add_option("--pidfd-socket", r->pidfd_socket,
                    "AF_UNIX socket that receives a pidfd of the process");
    cmd->add_flag("--ignore-paused", r->ignore_paused, "exec even if the container is paused");
    cmd->add_option("--cgroup", r->sub_cgroups,
                    "run in an existing group below the container's: [CONTROLLER[,...]:]PATH")
        ->allow_extra_args(false);
    // Everything from the id on is the id and the command, verbatim: the
    // command's own flags must not be read as ours.
    cmd->prefix_command();
    cmd->callback([r, cmd, &g] {
        setup_log(g);
        std::vector<std::string> rest = cmd->remaining();
        if (rest.empty()) throw CliError{"exec: a container id is required"};
        r->id = rest.front();
        // prefix_command hands over the first word it does not know: before
        // the id, that is a flag we lack, not an id.
        if (r->id.size() > 1 && r->id[0] == '-')
            throw CliError{"exec: unknown flag " + r->id + " (flags go before the container id)"};
        check_id(r->id);
        size_t first = rest.size() > 1 && rest[1] == "--" ? 2 : 1;
        r->args.assign(rest.begin() + static_cast<long>(first), rest.end());
        r->root = state_root(g);
        auto code = runtime::exec_container(*r);
        check(code);
        g.exit_code = *code;
    });
}

} // namespace corral::cli
