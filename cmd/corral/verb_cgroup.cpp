// pause, resume, ps, events: verbs that work through the container's cgroup.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "common/log.hpp"
#include "runtime/cgroup_ops.hpp"

namespace corral::cli {

namespace {

using Op = Status (*)(const runtime::StateStore&, const std::string&);

void register_simple(CLI::App& app, Globals& g, const char* name, const char* help, Op op) {
    auto id = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("id", *id, "container id")->required();
    cmd->callback([id, &g, op] {
        setup_log(g);
        check_id(*id);
        check(op(runtime::StateStore(state_root(g)), *id));
    });
}

// Like runc: runs ps(1) with the given arguments and keeps the header and
// the lines whose PID column names a process of the container.
int filtered_ps(const std::vector<pid_t>& pids, const std::vector<std::string>& args) {
    std::string cmd = "ps";
    for (const auto& a : args.empty() ? std::vector<std::string>{"-ef"} : args) {
        std::string quoted = "'";
        for (char c : a)
            quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        cmd += " " + quoted + "'";
    }
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw CliError{"run ps: cannot start it"};
    std::set<pid_t> wanted(pids.begin(), pids.end());
    char buf[8192];
    int pid_col = -1;
    bool header = true;
    while (fgets(buf, sizeof buf, p)) {
        std::string line = buf;
        std::istringstream words(line);
        std::vector<std::string> cols;
        for (std::string w; words >> w;)
            cols.push_back(w);
        if (header) {
            header = false;
            for (size_t i = 0; i < cols.size(); ++i)
                if (cols[i] == "PID") pid_col = static_cast<int>(i);
            if (pid_col < 0) {
                pclose(p);
                throw CliError{"ps: its output has no PID column"};
            }
            std::cout << line;
            continue;
        }
        if (static_cast<int>(cols.size()) > pid_col &&
            wanted.count(static_cast<pid_t>(std::atoi(cols[pid_col].c_str()))))
            std::cout << line;
    }
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// "5s", "500ms", "1m", or plain seconds.
int parse_interval_ms(const std::string& s) {
    size_t pos = 0;
    double v = 0;
    try {
        v = std::stod(s, &pos);
    } catch (const std::exception&) {
        pos = 0;
    }
    std::string unit = s.substr(pos);
    double scale = unit == "ms" ? 1 : unit == "s" || unit.empty() ? 1000 : unit == "m" ? 60000 : -1;
    if (pos == 0 || scale < 0 || v * scale < 1 || v * scale > 86400000)
        throw CliError{"events: --interval \"" + s + "\": expected a duration like 5s or 500ms"};
    return static_cast<int>(v * scale);
}

} // namespace

void register_pause(CLI::App& app, Globals& g) {
    register_simple(app, g, "pause", "freeze every process of the container",
                    runtime::pause_container);
    register_simple(app, g, "resume", "thaw a paused container", runtime::resume_container);
}

void register_ps(CLI::App& app, Globals& g) {
    struct Flags {
        std::string id, format = "table";
        std::vector<std::string> ps_args;
    };
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("ps", "list the processes of a container");
    cmd->add_option("-f,--format", f->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    cmd->add_option("id", f->id, "container id")->required();
    cmd->add_option("ps-args", f->ps_args, "arguments for ps(1), default -ef");
    cmd->allow_extras(false);
    cmd->prefix_command(false);
    cmd->callback([f, &g] {
        setup_log(g);
        check_id(f->id);
        auto pids = runtime::container_pids(runtime::StateStore(state_root(g)), f->id);
        check(pids);
        if (f->format == "json") {
            if (!f->ps_args.empty()) throw CliError{"ps: arguments for ps(1) need --format table"};
            std::string out = "[";
            for (size_t i = 0; i < pids->size(); ++i)
                out += (i ? "," : "") + std::to_string((*pids)[i]);
            std::cout << out << "]\n";
            return;
        }
        g.exit_code = filtered_ps(*pids, f->ps_args);
    });
}

void register_events(CLI::App& app, Globals& g) {
    struct Flags {
        std::string id, interval = "5s";
        bool stats = false;
    };
    auto f = std::make_shared<Flags>();
    auto* cmd = app.add_subcommand("events", "stream a container's stats and OOM events");
    cmd->add_flag("--stats", f->stats, "print the current stats once and exit");
    cmd->add_option("--interval", f->interval, "stats interval (default 5s)");
    cmd->add_option("id", f->id, "container id")->required();
    cmd->callback([f, &g] {
        setup_log(g);
        check_id(f->id);
        int ms = parse_interval_ms(f->interval);
        check(
            runtime::watch_events(runtime::StateStore(state_root(g)), f->id, f->stats, ms,
                                  [](const std::string& line) { std::cout << line << std::endl; }));
    });
}

} // namespace corral::cli
