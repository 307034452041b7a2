// Namespaces (each of the eight types against the host's, the config and a
// joined path) and the user namespace's maps.
#include <sys/stat.h>

#include "audit/context.hpp"

namespace corral::audit {

namespace {

std::string ns_text(const std::string& type, const NsId& id) {
    return type + ":[" + std::to_string(id.ino) + "]";
}

// Host namespaces a container should never share, and how much it matters
// (Kubernetes' baseline forbids hostPID, hostIPC and hostNetwork; sharing the
// host's mount namespace is worse than any of them).
Level share_level(const std::string& type) {
    if (type == "pid" || type == "net" || type == "ipc" || type == "mnt") return Level::Error;
    if (type == "uts" || type == "cgroup") return Level::Warning;
    return Level::Info; // user, time
}

const char* share_risk(const std::string& type) {
    if (type == "pid") return "it can see and signal the host's processes";
    if (type == "net") return "it sees and can bind the host's network interfaces";
    if (type == "ipc") return "it shares the host's System V IPC and POSIX message queues";
    if (type == "mnt") return "its mounts are the host's";
    if (type == "uts") return "it can change the host's hostname";
    if (type == "cgroup") return "it sees the host's cgroup paths";
    if (type == "user") return "its root is the host's root";
    return "its clocks are the host's";
}

} // namespace

const spec::Namespace* Context::config_namespace(const std::string& proc_type) const {
    if (!config || !config->linux) return nullptr;
    std::string name = proc_type == "mnt" ? "mount" : proc_type == "net" ? "network" : proc_type;
    for (const auto& ns : config->linux->namespaces)
        if (ns.type == name) return &ns;
    return nullptr;
}

void check_namespaces(const Context& c, Report& r) {
    for (const char* t : kNamespaceTypes) {
        std::string type = t;
        auto mine = c.init.ns.find(type);
        auto host = c.host.find(type);
        Check hard{"hardening.host-namespace." + type, "namespaces", Kind::Hardening,
                   share_level(type)};
        hard.expected = "own " + type + " namespace";
        Check conf{"namespaces." + type, "namespaces", Kind::Conformance, Level::Error};
        if (mine == c.init.ns.end() || host == c.host.end()) {
            r.skip(hard, "this kernel has no " + type + " namespace");
            if (c.has_config()) r.skip(conf, "this kernel has no " + type + " namespace");
            continue;
        }
        bool shared = mine->second == host->second;
        hard.observed = shared ? "shared with the host (" + ns_text(type, mine->second) + ")"
                               : ns_text(type, mine->second);
        hard.explanation = shared ? std::string("shared with the host: ") + share_risk(type)
                                  : "the container has its own " + type + " namespace";
        r.add(hard, !shared);

        // *_for_children: what the process's next children get. Anything but
        // its own namespace means it joined another one after start.
        if (auto kids = c.init.ns.find(type + "_for_children"); kids != c.init.ns.end()) {
            Check k{"namespaces." + type + ".children", "namespaces",
                    c.has_config() ? Kind::Conformance : Kind::Hardening, Level::Warning};
            k.expected = ns_text(type, mine->second);
            k.observed = ns_text(type, kids->second);
            k.explanation = kids->second == mine->second
                                ? "children are born in the container's namespace"
                                : "children would be born in another " + type + " namespace";
            r.add(k, kids->second == mine->second);
        }
        if (!c.has_config()) continue;
        const spec::Namespace* want = c.config_namespace(type);
        conf.observed = shared ? "shared with the host (" + ns_text(type, mine->second) + ")"
                               : ns_text(type, mine->second);
        if (!want) {
            conf.expected = "shared with the host (the config has no " + type + " entry)";
            conf.explanation = shared ? "as configured" : "the config did not ask for this one";
            r.add(conf, shared);
        } else if (want->path.empty()) {
            conf.expected = "a new " + type + " namespace";
            conf.explanation =
                shared ? "the config asks for its own, but it shares the host's" : "as configured";
            r.add(conf, !shared);
        } else {
            struct stat st {};
            conf.expected = "the namespace of " + want->path;
            if (stat(want->path.c_str(), &st) < 0) {
                r.skip(conf, "cannot stat " + want->path);
                continue;
            }
            bool same = static_cast<uint64_t>(st.st_ino) == mine->second.ino &&
                        static_cast<uint64_t>(st.st_dev) == mine->second.dev;
            conf.explanation = same ? "joined as configured" : "not the namespace the config names";
            r.add(conf, same);
        }
    }
}

void check_user(const Context& c, Report& r) {
    const auto& s = c.init.status;
    Check root{"hardening.run-as-host-root", "user", Kind::Hardening, Level::Warning};
    root.expected = "a host uid other than 0";
    root.observed = "host uid " + std::to_string(s.euid);
    root.explanation = s.euid == 0 ? "a breakout would be root on the host"
                                   : "the process is not root on the host";
    r.add(root, s.euid != 0);

    Check sg{"user.setgroups", "user", c.has_config() ? Kind::Conformance : Kind::Hardening,
             Level::Info};
    sg.expected = "allow or deny";
    sg.observed = c.init.setgroups.empty() ? "unknown" : c.init.setgroups;
    sg.explanation = "deny means the container cannot drop supplementary groups";
    r.add(sg, true);

    if (!c.has_config()) return;
    const auto* lx = c.config->linux ? &*c.config->linux : nullptr;
    const spec::Namespace* uns = c.config_namespace("user");
    for (int gid = 0; gid < 2; ++gid) {
        Check m{gid ? "user.gid_map" : "user.uid_map", "user", Kind::Conformance, Level::Error};
        std::string expected;
        if (uns && uns->path.empty() && lx) {
            for (const auto& e : gid ? lx->gid_mappings : lx->uid_mappings)
                expected += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " +
                            std::to_string(e.size) + "\n";
        } else if (!uns) {
            expected = "0 0 4294967295\n";
        } else {
            r.skip(m, "the user namespace is joined by path: its maps are its owner's");
            continue;
        }
        // The kernel lists a map in the order it was written, which is the
        // config's (corral writes them as given).
        const std::string& got = gid ? c.init.gid_map : c.init.uid_map;
        m.expected = expected.empty() ? "(empty)" : expected.substr(0, expected.size() - 1);
        m.observed = got.empty() ? "(empty)" : got.substr(0, got.size() - 1);
        m.explanation = got == expected ? "as configured" : "the map differs from the config";
        r.add(m, got == expected);
    }
}

} // namespace corral::audit
