#include "runtime/exec_process.hpp"

#include <algorithm>

#include "common/files.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/passed_fds.hpp"
#include "spec/parse.hpp"
#include "spec/validate.hpp"

namespace corral::runtime {

namespace {

Result<uint32_t> parse_id(const std::string& flag, const std::string& text) {
    auto id = spec::parse_id_strict(text);
    if (!id) return plain_error(flag + ":", "\"" + text + "\" is not a numeric id");
    return *id;
}

Status apply_user(spec::User& u, const std::string& text) {
    size_t colon = text.find(':');
    auto uid = parse_id("--user", text.substr(0, colon));
    if (!uid) return uid.error();
    u.uid = *uid;
    if (colon != std::string::npos) {
        auto gid = parse_id("--user", text.substr(colon + 1));
        if (!gid) return gid.error();
        u.gid = *gid;
    }
    return {};
}

void add_unique(std::vector<std::string>& set, const std::string& name) {
    if (std::find(set.begin(), set.end(), name) == set.end()) set.push_back(name);
}

Status add_capability(spec::Process& p, const std::string& name) {
    spec::Capabilities probe;
    probe.bounding = {name};
    std::vector<std::string> skipped;
    if (!plan_capabilities(probe, &skipped) || !skipped.empty())
        return plain_error("--cap " + name + ":", "unknown capability");
    if (!p.capabilities) p.capabilities.emplace();
    add_unique(p.capabilities->bounding, name);
    add_unique(p.capabilities->effective, name);
    add_unique(p.capabilities->permitted, name);
    return {};
}

Result<spec::Process> from_file(const std::string& path) {
    auto text = read_file(path);
    if (!text) return text.error();
    auto p = spec::parse_process(*text);
    if (!p) return Error{p.error().err, "--process " + path + ":", p.error().detail};
    return p;
}

} // namespace

Result<spec::Process> exec_process(const spec::Process& configured, const ExecRequest& req) {
    spec::Process p;
    if (!req.process_file.empty()) {
        auto f = from_file(req.process_file);
        if (!f) return f.error();
        p = std::move(*f);
    } else {
        if (req.args.empty())
            return plain_error("exec:", "a command is required (or --process FILE)");
        p = configured;
        p.args = req.args;
        p.terminal = req.tty;
        p.console_size.reset();
        for (const auto& e : req.env) {
            if (e.empty() || e[0] == '=')
                return plain_error("--env:", "\"" + e + "\" is not KEY=VALUE");
            set_env(p.env, e);
        }
        if (!req.cwd.empty()) p.cwd = req.cwd;
        if (!req.user.empty()) CORRAL_TRY(apply_user(p.user, req.user));
        for (const auto& g : req.additional_gids) {
            auto gid = parse_id("--additional-gids", g);
            if (!gid) return gid.error();
            p.user.additional_gids.push_back(*gid);
        }
        for (const auto& c : req.caps)
            CORRAL_TRY(add_capability(p, c));
        if (req.no_new_privs) p.no_new_privileges = true;
        if (!req.apparmor.empty()) p.apparmor_profile = req.apparmor;
        if (!req.process_label.empty()) p.selinux_label = req.process_label;
    }
    if (auto v = spec::validate_process(p); !v)
        return Error{v.error().err,
                     req.process_file.empty() ? "exec:" : "--process " + req.process_file + ":",
                     v.error().detail};
    return p;
}

} // namespace corral::runtime
