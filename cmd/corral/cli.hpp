// Shared pieces of the CLI: global options and the verb registry. Verbs
// throw CliError (or return a non-zero exit code); main() turns errors into
// one line on stderr and in the --log file.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "common/result.hpp"

namespace corral::cli {

struct Globals {
    std::string root;
    std::string log_file;
    std::string log_format = "text";
    std::string cgroup_manager = "cgroupfs";
    bool systemd_cgroup = false;
    bool debug = false;
    int exit_code = 0;
};

// Throws CliError with the error's message when r failed.
template <typename R> void check(const R& r) {
    if (!r.ok()) throw CliError{r.error().message()};
}

using Register = void (*)(CLI::App& app, Globals& g);
void register_spec(CLI::App&, Globals&);
void register_create(CLI::App&, Globals&);
void register_start(CLI::App&, Globals&);
void register_run(CLI::App&, Globals&);
void register_state(CLI::App&, Globals&);
void register_kill(CLI::App&, Globals&);
void register_delete(CLI::App&, Globals&);
void register_list(CLI::App&, Globals&);
void register_features(CLI::App&, Globals&);
void register_pause(CLI::App&, Globals&); // pause and resume
void register_ps(CLI::App&, Globals&);
void register_events(CLI::App&, Globals&);
void register_update(CLI::App&, Globals&);
void register_exec(CLI::App&, Globals&);
void register_audit(CLI::App&, Globals&);

// Opens the --log file (throws CliError when it cannot be opened).
void setup_log(const Globals& g);

// Validates an id and throws a CliError naming it when it is not acceptable.
void check_id(const std::string& id);
std::string state_root(const Globals& g);

} // namespace corral::cli
