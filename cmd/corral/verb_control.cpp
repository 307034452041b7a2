// kill, delete: verbs that act on an existing container.
#include <memory>

#include "cli.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"
#include "runtime/lifecycle.hpp"

namespace corral::cli {

void register_kill(CLI::App& app, Globals& g) {
    struct Flags {
        std::string id;
        std::string signal = "SIGTERM";
        bool all = false;
    };
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("kill", "send a signal to the container's process");
    cmd->add_flag("-a,--all", f->all, "signal every process of the container");
    cmd->add_option("id", f->id, "container id")->required();
    cmd->add_option("signal", f->signal, "signal name or number (default SIGTERM)");
    cmd->callback([f, &g] {
        setup_log(g);
        check_id(f->id);
        auto sig = parse_signal(f->signal);
        check(sig);
        check(runtime::kill_container(runtime::StateStore(state_root(g)), f->id, *sig, f->all));
    });
}

void register_delete(CLI::App& app, Globals& g) {
    struct Flags {
        std::string id;
        bool force = false;
    };
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("delete", "delete a container and everything it holds");
    cmd->add_flag("-f,--force", f->force, "kill a running container first");
    cmd->add_option("id", f->id, "container id")->required();
    cmd->callback([f, &g] {
        setup_log(g);
        check_id(f->id);
        check(runtime::delete_container(runtime::StateStore(state_root(g)), f->id, f->force));
    });
}

} // namespace corral::cli
