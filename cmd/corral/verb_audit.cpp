// audit: isolation of a running container, for people and for CI. Exit 0
// when nothing at or above --fail-on failed, 1 when something did, 2 when
// the audit itself could not run.
#include <cstdio>
#include <memory>
#include <unistd.h>

#include "audit/audit.hpp"
#include "audit/render.hpp"
#include "cli.hpp"
#include "common/log.hpp"

namespace corral::cli {

void register_audit(CLI::App& app, Globals& g) {
    struct Flags {
        audit::Request req;
        std::string format = "table";
        std::string fail_on = "error";
        std::string id;
        long pid = 0;
    };
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("audit", "check a container's isolation against its config "
                                            "and a policy");
    cmd->add_option("--format", f->format, "table, json, sarif or junit");
    cmd->add_option("--policy", f->req.policy_file, "policy file (JSON)");
    cmd->add_option("--preset", f->req.preset, "baseline or restricted (default baseline)");
    cmd->add_option("--fail-on", f->fail_on, "info, warning or error (default error)");
    cmd->add_option("--pid", f->pid, "audit any process (hardening checks only)");
    cmd->add_option("id", f->id, "container id");
    cmd->callback([f, cmd, &g] {
        setup_log(g);
        // Every failure before a report exists is exit 2: CI must tell "the
        // container is not isolated" from "the audit did not happen".
        auto fail = [&](const std::string& msg) {
            log::error(msg);
            g.exit_code = 2;
        };
        auto format = audit::parse_format(f->format);
        if (!format) return fail(format.error().message());
        auto level = audit::parse_level(f->fail_on);
        if (!level) return fail("--fail-on: " + level.error().detail);
        bool has_pid = cmd->count("--pid") > 0;
        if (has_pid == !f->id.empty())
            return fail("audit: give a container id or --pid PID (one of them)");
        if (has_pid && f->pid <= 0) return fail("--pid: must be a positive process id");
        if (cmd->count("--policy") && cmd->count("--preset"))
            return fail("audit: --policy and --preset exclude each other (a policy file can "
                        "\"extends\" a preset)");
        if (!f->id.empty()) {
            try {
                check_id(f->id);
            } catch (const CliError& e) {
                return fail(e.message);
            }
        }
        f->req.id = f->id;
        f->req.pid = static_cast<pid_t>(f->pid);
        f->req.fail_on = *level;
        f->req.root = state_root(g);
        auto report = audit::run_audit(f->req);
        if (!report) return fail(report.error().message());
        std::string out = audit::render(*report, *format, isatty(STDOUT_FILENO) == 1);
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fflush(stdout);
        g.exit_code = (*report)["result"] == "fail" ? 1 : 0;
    });
}

} // namespace corral::cli
