#include "audit/audit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "audit/context.hpp"
#include "audit/policy.hpp"
#include "cgroups/layout.hpp"
#include "common/files.hpp"
#include "common/syscalls.hpp"
#include "runtime/lifecycle.hpp"
#include "spec/parse.hpp"

namespace corral::audit {

namespace {

// The container's processes: its pid namespace when it has one of its own,
// else whatever its cgroup holds, else the audited process alone.
std::vector<pid_t> member_pids(const Context& c) {
    auto mine = c.init.ns.find("pid");
    auto host = c.host.find("pid");
    if (mine != c.init.ns.end() && host != c.host.end() && !(mine->second == host->second))
        return processes_in(mine->second);
    if (c.state && !c.state->cgroup_paths.empty()) {
        const auto& paths = c.state->cgroup_paths;
        auto it = paths.count("unified") ? paths.find("unified") : paths.begin();
        auto text = read_file(it->second + "/cgroup.procs");
        std::vector<pid_t> out;
        if (text) {
            size_t pos = 0;
            while (pos < text->size()) {
                size_t nl = text->find('\n', pos);
                std::string l = text->substr(pos, nl - pos);
                if (!l.empty()) out.push_back(static_cast<pid_t>(std::stol(l)));
                if (nl == std::string::npos) break;
                pos = nl + 1;
            }
        }
        if (!out.empty()) return out;
    }
    return {c.init.pid};
}

Status load_container(const Request& req, Context& c) {
    runtime::StateStore store(req.root);
    auto dir = store.open(req.id, false);
    if (!dir) return dir.error();
    auto st = dir->load();
    if (!st) return st.error();
    auto status = runtime::derive_status(*st, dir->path());
    if (status != runtime::ContainerStatus::Running &&
        status != runtime::ContainerStatus::Created && status != runtime::ContainerStatus::Paused)
        return plain_error("cannot audit container " + req.id + ":",
                           std::string("it is ") + runtime::status_name(status));
    auto pidfd = runtime::open_verified_pidfd(*st);
    if (!pidfd) return pidfd.error();
    auto spec = spec::load_config(dir->config_dir(*st));
    if (!spec) return spec.error();
    c.pidfd = pidfd->release();
    c.paused = status == runtime::ContainerStatus::Paused;
    c.config = std::move(*spec);
    c.target = {st->id, st->bundle, st->pid};
    c.state = std::move(*st);
    return {};
}

} // namespace

Result<nlohmann::json> run_audit(const Request& req) {
    Context c;
    if (!req.id.empty()) {
        CORRAL_TRY(load_container(req, c));
    } else {
        c.pidfd = sys::pidfd_open(req.pid);
        if (c.pidfd < 0) return sys_error("pidfd_open", "pid " + std::to_string(req.pid));
        c.target.pid = req.pid;
    }
    UniqueFd pin(c.pidfd);
    auto policy = req.policy_file.empty() ? preset(req.preset) : load_policy_file(req.policy_file);
    if (!policy) return policy.error();

    auto facts = read_process(c.target.pid);
    if (!facts) return facts.error();
    c.init = std::move(*facts);
    // "The host" is where the audit runs: PID 1's namespaces may be out of
    // reach (a non-dumpable init), and a CI job audits from the host anyway.
    c.host = read_namespaces(getpid());
    if (auto hm = read_file("/proc/self/mountinfo")) c.host_mounts = parse_mountinfo(*hm);
    std::string root = "/proc/" + std::to_string(c.target.pid) + "/root";
    c.root.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!c.root) return sys_error("open", root);
    for (pid_t p : member_pids(c)) {
        if (p == c.init.pid) {
            c.members.push_back(c.init);
            continue;
        }
        if (auto f = read_process(p)) c.members.push_back(std::move(*f));
    }
    // Everything above was read while the pidfd pinned the process; a pid
    // reused meanwhile would make the facts someone else's.
    if (sys::pidfd_send_signal(c.pidfd, 0) < 0)
        return plain_error("audit:", "the process exited while it was being audited");

    Report report;
    check_namespaces(c, report);
    check_user(c, report);
    check_credentials(c, report);
    check_filesystem(c, report);
    check_cgroups(c, report);
    check_misc(c, report);
    policy->apply(report);
    return report.to_json(c.target, policy->name, policy->source, req.fail_on);
}

} // namespace corral::audit
