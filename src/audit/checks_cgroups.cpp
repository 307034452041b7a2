// The container's cgroups: every process of it inside them, and the limits
// the kernel enforces against linux.resources.
#include <cerrno>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit/context.hpp"
#include "cgroups/layout.hpp"
#include "common/files.hpp"

namespace corral::audit {

namespace {

// Kernel "no limit" values: v2 "max", v1 the page-rounded LONG_MAX.
bool unlimited(const std::string& v) {
    return v.empty() || v == "max" || v == "-1" || v == "9223372036854771712" ||
           v == "9223372036854775807";
}

std::string trimmed(Result<std::string> r) {
    if (!r) return "";
    std::string s = *r;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

// Hierarchy key ("" for cgroup2) → absolute group directory of a process,
// from its /proc/PID/cgroup as the host reads it.
std::map<std::string, std::string> groups_of(const std::string& proc_cgroup) {
    const auto& layout = cgroups::host_layout();
    std::map<std::string, std::string> out;
    for (const auto& [key, path] : cgroups::parse_proc_cgroup(proc_cgroup)) {
        if (key.empty()) {
            if (!layout.unified_mount.empty()) out[""] = layout.unified_mount + path;
            continue;
        }
        for (const auto& h : layout.v1)
            if (h.key == key) {
                std::string rel = path;
                if (h.root != "/" && rel.compare(0, h.root.size(), h.root) == 0)
                    rel = rel.substr(h.root.size());
                out[key] = h.mount + (rel == "/" ? "" : rel);
            }
    }
    return out;
}

// The group directory holding `controller`: the unified one on a cgroup2
// host, the v1 hierarchy's otherwise.
std::string dir_for(const std::map<std::string, std::string>& groups,
                    const std::string& controller) {
    const auto& layout = cgroups::host_layout();
    if (layout.mode == cgroups::Mode::Unified) {
        auto it = groups.find("");
        return it == groups.end() ? "" : it->second;
    }
    const auto* h = layout.find(controller);
    if (!h) return "";
    auto it = groups.find(h->key);
    return it == groups.end() ? "" : it->second;
}

bool v2() {
    return cgroups::host_layout().mode == cgroups::Mode::Unified;
}

// Device programs attached to a cgroup2 directory (BPF_PROG_QUERY).
int device_programs(const std::string& dir) {
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    union bpf_attr attr {};
    attr.query.target_fd = static_cast<uint32_t>(fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    long rc = syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr);
    close(fd);
    return rc < 0 ? -1 : static_cast<int>(attr.query.prog_cnt);
}

struct Limits {
    std::string memory, pids, cpu_quota, cpu_period;
    std::string devices; // "unrestricted", "restricted", or ""
};

Limits read_limits(const std::map<std::string, std::string>& groups) {
    Limits l;
    std::string mem = dir_for(groups, "memory"), pids = dir_for(groups, "pids"),
                cpu = dir_for(groups, "cpu"), dev = dir_for(groups, "devices");
    if (v2()) {
        if (!mem.empty()) l.memory = trimmed(read_file(mem + "/memory.max"));
        if (!pids.empty()) l.pids = trimmed(read_file(pids + "/pids.max"));
        if (!cpu.empty()) {
            std::string max = trimmed(read_file(cpu + "/cpu.max"));
            size_t sp = max.find(' ');
            l.cpu_quota = max.substr(0, sp);
            l.cpu_period = sp == std::string::npos ? "" : max.substr(sp + 1);
        }
        auto it = groups.find("");
        if (it != groups.end()) {
            int n = device_programs(it->second);
            l.devices = n < 0 ? "" : n > 0 ? "restricted" : "unrestricted";
        }
        return l;
    }
    if (!mem.empty()) l.memory = trimmed(read_file(mem + "/memory.limit_in_bytes"));
    if (!pids.empty()) l.pids = trimmed(read_file(pids + "/pids.max"));
    if (!cpu.empty()) {
        l.cpu_quota = trimmed(read_file(cpu + "/cpu.cfs_quota_us"));
        l.cpu_period = trimmed(read_file(cpu + "/cpu.cfs_period_us"));
    }
    if (!dev.empty()) {
        std::string list = trimmed(read_file(dev + "/devices.list"));
        if (!list.empty())
            l.devices = list.find("a *:* rwm") != std::string::npos ? "unrestricted" : "restricted";
    }
    return l;
}

void limit_check(Report& r, const char* name, const std::string& observed,
                 const std::optional<int64_t>& want) {
    Check k{std::string("cgroups.limits.") + name, "cgroups", Kind::Conformance, Level::Error};
    if (!want) return;
    if (observed.empty()) {
        r.skip(k, std::string("the ") + name + " controller's value is not readable");
        return;
    }
    bool ok = *want < 0 ? unlimited(observed) : observed == std::to_string(*want);
    // v1 rounds memory limits down to pages.
    if (!ok && std::string(name) == "memory" && *want > 0 && !unlimited(observed))
        ok = std::stoll(observed) == (*want / 4096) * 4096;
    k.expected = *want < 0 ? "unlimited" : std::to_string(*want);
    k.observed = observed;
    k.explanation = ok ? "as configured" : "the kernel enforces another value than the config";
    r.add(k, ok);
}

} // namespace

void check_cgroups(const Context& c, Report& r) {
    std::map<std::string, std::string> groups = groups_of(c.init.cgroup);
    Limits l = read_limits(groups);
    Check mem{"hardening.limits.memory", "cgroups", Kind::Hardening, Level::Info};
    mem.expected = "a memory limit";
    mem.observed = unlimited(l.memory) ? "unlimited" : l.memory;
    mem.explanation = "without one the container can exhaust the host's memory";
    if (l.memory.empty())
        r.skip(mem, "no memory controller value readable for this process's group");
    else
        r.add(mem, !unlimited(l.memory));
    Check pids{"hardening.limits.pids", "cgroups", Kind::Hardening, Level::Info};
    pids.expected = "a pids limit";
    pids.observed = unlimited(l.pids) ? "unlimited" : l.pids;
    pids.explanation = "without one a fork bomb exhausts the host's pids";
    if (l.pids.empty())
        r.skip(pids, "no pids controller value readable for this process's group (a root group "
                     "has none)");
    else
        r.add(pids, !unlimited(l.pids));
    Check dev{"hardening.devices.unrestricted", "cgroups", Kind::Hardening, Level::Error};
    dev.expected = "a device allowlist";
    if (l.devices.empty()) {
        r.skip(dev, "no device controller readable for this process");
    } else {
        dev.observed = l.devices;
        dev.explanation = l.devices == "restricted" ? "device access is filtered"
                                                    : "every device of the host may be opened";
        r.add(dev, l.devices == "restricted");
    }
    if (!c.state) return;

    Check m{"cgroups.membership", "cgroups", Kind::Conformance, Level::Error};
    if (c.state->cgroup_paths.empty()) {
        r.skip(m, "the container has no cgroup (rootless without delegation)");
        return;
    }
    std::vector<std::string> outside;
    for (const auto& p : c.members) {
        auto theirs = groups_of(p.cgroup);
        for (const auto& [key, path] : c.state->cgroup_paths) {
            std::string k = key == "unified" ? "" : key;
            auto it = theirs.find(k);
            bool in =
                it != theirs.end() &&
                (it->second == path || it->second.compare(0, path.size() + 1, path + "/") == 0);
            if (!in) {
                outside.push_back("pid " + std::to_string(p.pid) + " in " +
                                  (it == theirs.end() ? "?" : it->second));
                break;
            }
        }
    }
    m.expected = "every process in the container's groups";
    m.observed = outside.empty() ? std::to_string(c.members.size()) + " processes inside" : [&] {
        std::string s;
        for (const auto& o : outside)
            s += (s.empty() ? "" : "; ") + o;
        return s;
    }();
    m.explanation = outside.empty() ? "as recorded at create"
                                    : "processes escaped the container's limits and accounting";
    r.add(m, outside.empty());

    if (!c.config || !c.config->linux || !c.config->linux->resources) return;
    const auto& res = *c.config->linux->resources;
    if (res.memory) limit_check(r, "memory", l.memory, res.memory->limit);
    if (res.pids) limit_check(r, "pids", l.pids, res.pids->limit);
    if (res.cpu) limit_check(r, "cpu-quota", l.cpu_quota, res.cpu->quota);
    if (!res.devices.empty()) {
        Check d{"cgroups.limits.devices", "cgroups", Kind::Conformance, Level::Error};
        bool restrictive = false;
        for (const auto& rule : res.devices)
            restrictive = restrictive || !rule.allow;
        d.expected = restrictive ? "a device allowlist in force" : "as configured";
        d.observed = l.devices.empty() ? "unknown" : l.devices;
        bool ok = !restrictive || l.devices == "restricted";
        d.explanation = ok ? "as configured" : "linux.resources.devices is not enforced";
        if (l.devices.empty())
            r.skip(d, "no device controller readable");
        else
            r.add(d, ok);
    }
}

} // namespace corral::audit
