#include "spec/defaults.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace corral::spec {
namespace {

// ordered_json keeps keys in the order runc writes them (Go struct order),
// so the two runtimes' templates diff cleanly.
using ojson = nlohmann::ordered_json;

ojson mount(const char* destination, const char* type, const char* source,
            std::initializer_list<const char*> options) {
    ojson m = {{"destination", destination}, {"type", type}, {"source", source}};
    if (options.size() != 0) {
        m["options"] = ojson::array();
        for (const char* o : options)
            m["options"].push_back(o);
    }
    return m;
}

ojson default_mounts(bool rootless) {
    ojson mounts = ojson::array();
    mounts.push_back(mount("/proc", "proc", "proc", {}));
    mounts.push_back(
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
    // gid=5 is the conventional tty group; in a user namespace with a single
    // mapped id, gid 5 does not exist and the devpts mount would fail.
    if (rootless)
        mounts.push_back(mount("/dev/pts", "devpts", "devpts",
                               {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
    else
        mounts.push_back(
            mount("/dev/pts", "devpts", "devpts",
                  {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    mounts.push_back(mount("/dev/shm", "tmpfs", "shm",
                           {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
    mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    // Without its own network namespace a rootless container may not mount
    // a fresh sysfs, so it gets the host's, read-only.
    if (rootless)
        mounts.push_back(
            mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
    else
        mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                           {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    return mounts;
}

ojson default_linux(bool rootless) {
    ojson lx = ojson::object();
    if (rootless) {
        lx["uidMappings"] = {{{"containerID", 0}, {"hostID", ::getuid()}, {"size", 1}}};
        lx["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getgid()}, {"size", 1}}};
    } else {
        // An unprivileged user cannot set up a device cgroup, so the
        // rootless config carries no resources at all.
        lx["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
    }
    ojson namespaces = ojson::array();
    for (const char* type : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
        // Rootless: no network namespace, so the container shares the
        // caller's network (there is nobody to configure a private one).
        if (rootless && std::string_view(type) == "network") continue;
        namespaces.push_back({{"type", type}});
    }
    if (rootless) namespaces.push_back({{"type", "user"}});
    lx["namespaces"] = namespaces;
    lx["maskedPaths"] = {
        "/proc/acpi",        "/proc/asound",        "/proc/kcore",
        "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug",   "/proc/scsi",
        "/proc/interrupts",  "/sys/firmware",       "/sys/devices/virtual/powercap"};
    lx["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                           "/proc/sysrq-trigger"};
    return lx;
}

} // namespace

std::string default_config_json(bool rootless) {
    const ojson caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    ojson process = {
        // false until corral's console support lands: a terminal would need
        // --console-socket or a pty the runtime does not yet provide.
        {"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env",
         {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        // Inheritable and ambient are left out on purpose: filled, they hand
        // capabilities to every exec'd program (SECURITY.md class 7).
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}};
    ojson config = {{"ociVersion", "1.2.0"},
                    {"process", process},
                    {"root", {{"path", "rootfs"}, {"readonly", true}}},
                    {"hostname", "corral"},
                    {"mounts", default_mounts(rootless)},
                    {"linux", default_linux(rootless)}};
    return config.dump(2) + "\n";
}

} // namespace corral::spec
