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

void setup_log(const Globals& g) {
    check(log::configure(g.log_file, g.log_format == "json", g.debug));
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

struct Verb {
    std::string_view name;
    corral::cli::Register add;
};

constexpr Verb kVerbs[] = {
    {"spec", corral::cli::register_spec},
    {"create", corral::cli::register_create},
    {"start", corral::cli::register_start},
    {"run", corral::cli::register_run},
    {"state", corral::cli::register_state},
    {"kill", corral::cli::register_kill},
    {"delete", corral::cli::register_delete},
    {"list", corral::cli::register_list},
    {"features", corral::cli::register_features},
    {"pause", corral::cli::register_pause},
    {"resume", nullptr}, // registered with pause
    {"ps", corral::cli::register_ps},
    {"events", corral::cli::register_events},
    {"update", corral::cli::register_update},
    {"exec", corral::cli::register_exec},
    {"audit", corral::cli::register_audit},
};

// The first argument that is neither a global option nor its value: the verb
// ("" when there is none, as for --help and --version).
std::string_view verb_word(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--root" || a == "--log" || a == "--log-format" || a == "--rootless" ||
            a == "--cgroup-manager") {
            ++i;
            continue;
        }
        if (a.empty() || a[0] != '-') return a;
        // An option we do not know may take a value that looks like a verb:
        // leave the whole command line to CLI11, which names the option.
        std::string_view name = a.substr(0, a.find('='));
        if (name != "--root" && name != "--log" && name != "--log-format" && name != "--rootless" &&
            name != "--cgroup-manager" && name != "--debug" && name != "--systemd-cgroup" &&
            name != "-h" && name != "--help" && name != "-v" && name != "--version")
            return {};
    }
    return {};
}

const Verb* find_verb(std::string_view word) {
    for (const Verb& v : kVerbs)
        if (v.name == word) return &v;
    return nullptr;
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

    // Setting up every verb's options was a fifth of the user-space
    // instructions of a start (callgrind), so only the verb in use gets them;
    // without one (help, --version) all verbs are registered.
    std::string_view word = verb_word(argc, argv);
    const Verb* verb = find_verb(word);
    if (!word.empty() && !verb) {
        log::error("unknown command \"" + std::string(word) + "\"");
        return 1;
    }
    if (verb)
        (verb->add ? verb->add : cli::register_pause)(app, g);
    else
        for (const Verb& v : kVerbs)
            if (v.add) v.add(app, g);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        std::string msg = e.what();
        for (auto& c : msg)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        (void)log::configure(g.log_file, g.log_format == "json", g.debug);
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
