#include "spec/defaults.hpp"
#include "spec/parse.hpp"
#include "spec/validate.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

using namespace corral;
using namespace corral::spec;

namespace {

struct TempBundle {
    std::string path;
    TempBundle() {
        char tmpl[] = "/tmp/corral-defaults-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
        std::filesystem::create_directory(path + "/rootfs");
    }
    ~TempBundle() { std::filesystem::remove_all(path); }
};

Spec parsed(bool rootless) {
    auto r = parse_config(default_config_json(rootless));
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    return r.value();
}

const Mount* find_mount(const Spec& s, const std::string& dest) {
    for (const auto& m : s.mounts)
        if (m.destination == dest) return &m;
    return nullptr;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

} // namespace

TEST_CASE("defaults: both variants parse and validate") {
    TempBundle b;
    for (bool rootless : {false, true}) {
        CAPTURE(rootless);
        Spec s = parsed(rootless);
        auto v = validate_spec(s, b.path);
        CHECK_MESSAGE(v.ok(), v.error().message());
    }
}

TEST_CASE("defaults: text layout") {
    std::string text = default_config_json(false);
    CHECK(text.rfind("{\n  \"ociVersion\": \"1.2.0\",\n  \"process\": {\n    \"terminal\": false,",
                     0) == 0);
    CHECK(text.back() == '\n');
    CHECK(text.find('\t') == std::string::npos);
    // runc's key order: process, root, hostname, mounts, linux.
    auto pos = [&](const char* key) { return text.find(std::string("\n  \"") + key + "\""); };
    CHECK(pos("process") < pos("root"));
    CHECK(pos("root") < pos("hostname"));
    CHECK(pos("hostname") < pos("mounts"));
    CHECK(pos("mounts") < pos("linux"));
    // Left out on purpose, not merely empty (SECURITY.md class 7).
    CHECK(text.find("inheritable") == std::string::npos);
    CHECK(text.find("ambient") == std::string::npos);
}

TEST_CASE("defaults: process") {
    Spec s = parsed(false);
    REQUIRE(s.process);
    const Process& p = *s.process;
    CHECK(s.oci_version == "1.2.0");
    CHECK_FALSE(p.terminal);
    CHECK(p.user.uid == 0);
    CHECK(p.user.gid == 0);
    CHECK(p.args == std::vector<std::string>{"sh"});
    CHECK(p.env ==
          std::vector<std::string>{
              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"});
    CHECK(p.cwd == "/");
    REQUIRE(p.capabilities);
    const std::vector<std::string> caps{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    CHECK(p.capabilities->bounding == caps);
    CHECK(p.capabilities->effective == caps);
    CHECK(p.capabilities->permitted == caps);
    CHECK(p.capabilities->inheritable.empty());
    CHECK(p.capabilities->ambient.empty());
    REQUIRE(p.rlimits.size() == 1);
    CHECK(p.rlimits[0].type == "RLIMIT_NOFILE");
    CHECK(p.rlimits[0].hard == 1024);
    CHECK(p.rlimits[0].soft == 1024);
    CHECK(p.no_new_privileges);
    CHECK(s.root.path == "rootfs");
    CHECK(s.root.readonly);
    CHECK(s.hostname == "corral");
}

TEST_CASE("defaults: mounts") {
    Spec s = parsed(false);
    REQUIRE(s.mounts.size() == 7);
    const char* order[] = {"/proc",       "/dev", "/dev/pts",      "/dev/shm",
                           "/dev/mqueue", "/sys", "/sys/fs/cgroup"};
    for (std::size_t i = 0; i < 7; ++i)
        CHECK(s.mounts[i].destination == order[i]);
    CHECK(s.mounts[0].type == "proc");
    CHECK(s.mounts[1].type == "tmpfs");
    CHECK(s.mounts[1].options ==
          std::vector<std::string>{"nosuid", "strictatime", "mode=755", "size=65536k"});
    CHECK(s.mounts[2].type == "devpts");
    CHECK(s.mounts[2].options == std::vector<std::string>{"nosuid", "noexec", "newinstance",
                                                          "ptmxmode=0666", "mode=0620", "gid=5"});
    CHECK(s.mounts[3].source == "shm");
    CHECK(s.mounts[3].options ==
          std::vector<std::string>{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"});
    CHECK(s.mounts[4].type == "mqueue");
    CHECK(s.mounts[5].type == "sysfs");
    CHECK(s.mounts[5].options == std::vector<std::string>{"nosuid", "noexec", "nodev", "ro"});
    CHECK(s.mounts[6].type == "cgroup");
    CHECK(s.mounts[6].options ==
          std::vector<std::string>{"nosuid", "noexec", "nodev", "relatime", "ro"});
}

TEST_CASE("defaults: linux section") {
    Spec s = parsed(false);
    REQUIRE(s.linux);
    const Linux& l = *s.linux;
    REQUIRE(l.resources);
    REQUIRE(l.resources->devices.size() == 1);
    CHECK_FALSE(l.resources->devices[0].allow);
    CHECK(l.resources->devices[0].access == "rwm");
    CHECK(l.resources->devices[0].type.empty());
    std::vector<std::string> types;
    for (const auto& ns : l.namespaces) {
        CHECK(ns.path.empty());
        types.push_back(ns.type);
    }
    CHECK(types == std::vector<std::string>{"pid", "network", "ipc", "uts", "mount", "cgroup"});
    CHECK(l.uid_mappings.empty());
    CHECK(l.gid_mappings.empty());
    CHECK(l.masked_paths ==
          std::vector<std::string>{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                   "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                   "/proc/sched_debug", "/proc/scsi", "/proc/interrupts",
                                   "/sys/firmware", "/sys/devices/virtual/powercap"});
    CHECK(l.readonly_paths == std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq",
                                                       "/proc/sys", "/proc/sysrq-trigger"});
    CHECK_FALSE(l.seccomp);
}

TEST_CASE("defaults: rootless variant") {
    Spec s = parsed(true);
    REQUIRE(s.linux);
    const Linux& l = *s.linux;
    CHECK_FALSE(l.resources);
    CHECK(l.find_namespace("user"));
    CHECK_FALSE(l.find_namespace("network"));
    for (const char* kept : {"pid", "ipc", "uts", "mount"})
        CHECK(l.find_namespace(kept));
    REQUIRE(l.uid_mappings.size() == 1);
    CHECK(l.uid_mappings[0].container_id == 0);
    CHECK(l.uid_mappings[0].host_id == ::getuid());
    CHECK(l.uid_mappings[0].size == 1);
    REQUIRE(l.gid_mappings.size() == 1);
    CHECK(l.gid_mappings[0].container_id == 0);
    CHECK(l.gid_mappings[0].host_id == ::getgid());
    CHECK(l.gid_mappings[0].size == 1);

    const Mount* sys = find_mount(s, "/sys");
    REQUIRE(sys);
    CHECK(sys->source == "/sys");
    CHECK(sys->type == "none");
    CHECK(sys->options == std::vector<std::string>{"rbind", "nosuid", "noexec", "nodev", "ro"});
    const Mount* pts = find_mount(s, "/dev/pts");
    REQUIRE(pts);
    CHECK_FALSE(has(pts->options, "gid=5"));
    CHECK(has(pts->options, "newinstance"));

    // Everything else matches the privileged template.
    Spec priv = parsed(false);
    CHECK(s.mounts.size() == priv.mounts.size());
    CHECK(s.process->capabilities->bounding == priv.process->capabilities->bounding);
    CHECK(l.masked_paths == priv.linux->masked_paths);
    CHECK(l.readonly_paths == priv.linux->readonly_paths);
    CHECK(s.hostname == "corral");
}
