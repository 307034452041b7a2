#include <cstdio>
#include <iostream>
#include <string_view>

#include "cli.hpp"
#include "common/log.hpp"
#include "runtime/sealed_self.hpp"
#include "runtime/state.hpp"
#include "spec/validate.hpp"

namespace corral::cli {

void check_id(const std::string& id) {
    check(spec::validate_container_id(id));
}

std::string state_root(const Globals& g) {
    return g.root.empty() ? runtime::default_state_root() : g.root;
}

} // namespace corral::cli

namespace {

// The verbs that start a container process (see runtime/sealed_self.hpp).
bool starts_a_container(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "create" || a == "run" || a == "exec") return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    using namespace corral;
    if (starts_a_container(argc, argv) && !runtime::running_sealed()) {
        runtime::reexec_sealed(argv);
        // Only reached when the copy could not be made: refuse rather than
        // expose a writable runtime binary to the container.
        std::perror("corral: run from a sealed copy of the runtime binary");
        return 1;
    }
    cli::Globals g;
    CLI::App app{"corral: an OCI container runtime"};
    app.name("corral");
    app.require_subcommand(1);
    app.set_version_flag("-v,--version",
                         std::string("corral version ") + CORRAL_VERSION + "\nspec: 1.2.0");
    app.add_option("--root", g.root, "state directory (default /run/corral)");
    app.add_option("--log", g.log_file, "log file (default stderr only)");
    app.add_option("--log-format", g.log_format, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", g.debug, "log debug messages");
    app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use the systemd cgroup driver");
    // runc's flag: corral decides from the effective uid, as runc's "auto".
    std::string rootless = "auto";
    app.add_option("--rootless", rootless, "true, false or auto (decided from the euid)")
        ->check(CLI::IsMember({"true", "false", "auto"}));
    app.add_option("--cgroup-manager", g.cgroup_manager, "cgroupfs, systemd or disabled")
        ->check(CLI::IsMember({"cgroupfs", "systemd", "disabled"}));

    for (cli::Register r :
         {cli::register_spec, cli::register_create, cli::register_start, cli::register_run,
          cli::register_state, cli::register_kill, cli::register_delete, cli::register_list,
          cli::register_features, cli::register_pause, cli::register_ps, cli::register_events,
          cli::register_update, cli::register_exec, cli::register_audit})
        r(app, g);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        std::string msg = e.what();
        for (auto& c : msg)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        log::configure(g.log_file, g.log_format == "json", g.debug);
        log::error(msg);
        // audit's contract: 1 is "isolation broken", so a bad command line is 2.
        bool audit = false;
        for (int i = 1; i < argc; ++i)
            audit = audit || std::string_view(argv[i]) == "audit";
        return audit && app.got_subcommand("audit") ? 2 : 1;
    } catch (const CliError& e) {
        log::error(e.message);
        return 1;
    }
    return g.exit_code;
}
