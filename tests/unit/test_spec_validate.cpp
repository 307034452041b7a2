#include "spec/parse.hpp"
#include "spec/validate.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace corral;
using namespace corral::spec;

namespace {

// A bundle directory with an empty rootfs, removed at scope exit.
struct TempBundle {
    std::string path;
    TempBundle() {
        char tmpl[] = "/tmp/corral-validate-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
        std::filesystem::create_directory(path + "/rootfs");
    }
    ~TempBundle() { std::filesystem::remove_all(path); }
};

// The smallest spec that passes: each test breaks one rule of it.
Spec valid_spec() {
    Spec s;
    s.oci_version = "1.2.0";
    s.root.path = "rootfs";
    Process p;
    p.args = {"sh"};
    p.cwd = "/";
    s.process = p;
    s.linux = Linux{};
    s.linux->namespaces = {{"pid", ""}, {"mount", ""}, {"uts", ""}, {"ipc", ""}, {"network", ""}};
    return s;
}

std::string check(const Spec& s, const std::string& bundle) {
    auto r = validate_spec(s, bundle);
    return r.ok() ? "ok" : r.error().message();
}

std::string with_prefix(const std::string& detail) {
    return "config.json: " + detail;
}

} // namespace

TEST_CASE("validate: the minimal spec passes") {
    TempBundle b;
    CHECK(check(valid_spec(), b.path) == "ok");
}

TEST_CASE("validate: the full example config passes") {
    std::ifstream in(std::string(CORRAL_TEST_DATA) + "/config-full.json");
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = parse_config(ss.str());
    REQUIRE(r.ok());
    TempBundle b;
    CHECK(check(r.value(), b.path) == "ok");
}

TEST_CASE("validate: ociVersion") {
    TempBundle b;
    Spec s = valid_spec();
    for (const char* v : {"1.0.0", "1.2.0", "1.0.2-dev", "1.10.1"}) {
        s.oci_version = v;
        CHECK(check(s, b.path) == "ok");
    }
    s.oci_version = "";
    CHECK(check(s, b.path) == with_prefix("ociVersion: missing"));
    s.oci_version = "2.0.0";
    CHECK(check(s, b.path) == with_prefix(R"(ociVersion: "2.0.0" is not supported, need 1.x)"));
    for (const char* v : {"1", "1.", "1.x", "0.9.0", "10.0.0"}) {
        s.oci_version = v;
        CAPTURE(v);
        CHECK(check(s, b.path) != "ok");
    }
}

TEST_CASE("validate: root.path") {
    TempBundle b;
    Spec s = valid_spec();
    s.root.path = b.path + "/rootfs"; // absolute
    CHECK(check(s, b.path) == "ok");
    s.root.path = "rootfs"; // relative to the bundle, not the cwd
    CHECK(check(s, b.path + "/") == "ok");

    s.root.path = "";
    CHECK(check(s, b.path) == with_prefix("root.path: missing"));
    s.root.path = "nothere";
    auto r = validate_spec(s, b.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().err == ENOENT);
    CHECK(r.error().message() ==
          with_prefix("root.path: " + b.path + "/nothere: no such file or directory"));

    std::ofstream(b.path + "/file") << "x";
    s.root.path = "file";
    CHECK(check(s, b.path) == with_prefix("root.path: " + b.path + "/file is not a directory"));
}

TEST_CASE("validate: process, args and cwd") {
    TempBundle b;
    Spec s = valid_spec();
    s.process.reset();
    CHECK(check(s, b.path) == with_prefix("process: missing"));

    s = valid_spec();
    s.process->args.clear();
    CHECK(check(s, b.path) == with_prefix("process.args: must not be empty"));

    s = valid_spec();
    s.process->cwd = "/srv/app";
    CHECK(check(s, b.path) == "ok");
    s.process->cwd = "srv";
    CHECK(check(s, b.path) == with_prefix(R"(process.cwd: must be an absolute path, got "srv")"));
    s.process->cwd = "";
    CHECK(check(s, b.path) == with_prefix(R"(process.cwd: must be an absolute path, got "")"));
}

TEST_CASE("validate: ids never 4294967295") {
    TempBundle b;
    Spec s = valid_spec();
    s.process->user = {4294967294u, 4294967294u, std::nullopt, {0, 4294967294u}, ""};
    CHECK(check(s, b.path) == "ok");

    s.process->user.uid = 4294967295u;
    CHECK(check(s, b.path) == with_prefix("process.user.uid: 4294967295 is not a valid id"));
    s.process->user.uid = 0;
    s.process->user.gid = 4294967295u;
    CHECK(check(s, b.path) == with_prefix("process.user.gid: 4294967295 is not a valid id"));
    s.process->user.gid = 0;
    s.process->user.additional_gids = {1, 4294967295u};
    CHECK(check(s, b.path) ==
          with_prefix("process.user.additionalGids[1]: 4294967295 is not a valid id"));
}

TEST_CASE("validate: rlimits") {
    TempBundle b;
    Spec s = valid_spec();
    s.process->rlimits = {
        {"RLIMIT_NOFILE", 1024, 1024}, {"RLIMIT_CORE", 10, 0}, {"RLIMIT_RTTIME", 5, 5}};
    CHECK(check(s, b.path) == "ok");

    s.process->rlimits = {{"RLIMIT_NOFILE", 1, 1}, {"RLIMIT_BOGUS", 1, 1}};
    CHECK(check(s, b.path) ==
          with_prefix(R"(process.rlimits[1].type: unknown rlimit "RLIMIT_BOGUS")"));
    s.process->rlimits = {{"nofile", 1, 1}};
    CHECK(check(s, b.path) != "ok");
    s.process->rlimits = {{"RLIMIT_NOFILE", 1, 1}, {"RLIMIT_NOFILE", 2, 2}};
    CHECK(check(s, b.path) ==
          with_prefix(R"(process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE")"));
    s.process->rlimits = {{"RLIMIT_NOFILE", 1024, 2048}};
    CHECK(check(s, b.path) ==
          with_prefix("process.rlimits[0]: soft limit 2048 exceeds hard limit 1024"));
}

TEST_CASE("validate: scheduler") {
    TempBundle b;
    Spec s = valid_spec();
    Scheduler sched;
    sched.policy = "SCHED_OTHER";
    sched.nice = -20;
    sched.flags = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_UTIL_CLAMP_MAX"};
    s.process->scheduler = sched;
    CHECK(check(s, b.path) == "ok");
    s.process->scheduler->policy = "SCHED_RR";
    s.process->scheduler->priority = 99;
    CHECK(check(s, b.path) == "ok");

    s.process->scheduler = Scheduler{};
    CHECK(check(s, b.path) == with_prefix("process.scheduler.policy: missing"));
    s.process->scheduler->policy = "SCHED_FAST";
    CHECK(check(s, b.path) ==
          with_prefix(R"(process.scheduler.policy: unknown policy "SCHED_FAST")"));
    s.process->scheduler->policy = "SCHED_BATCH";
    s.process->scheduler->flags = {"SCHED_FLAG_TURBO"};
    CHECK(check(s, b.path) ==
          with_prefix(R"(process.scheduler.flags[0]: unknown flag "SCHED_FLAG_TURBO")"));
    s.process->scheduler->flags.clear();
    s.process->scheduler->nice = 20;
    CHECK(check(s, b.path) == with_prefix("process.scheduler.nice: 20 is outside -20..19"));
    s.process->scheduler->nice.reset();
    s.process->scheduler->priority = 5;
    CHECK(check(s, b.path) == with_prefix("process.scheduler.priority: must be 0 for SCHED_BATCH"));
    s.process->scheduler->policy = "SCHED_FIFO";
    s.process->scheduler->priority = 0;
    CHECK(check(s, b.path) ==
          with_prefix("process.scheduler.priority: 0 is outside 1..99 for SCHED_FIFO"));
}

TEST_CASE("validate: ioPriority") {
    TempBundle b;
    Spec s = valid_spec();
    for (const char* cls : {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"}) {
        s.process->io_priority = IoPriority{cls, 7};
        CHECK(check(s, b.path) == "ok");
    }
    s.process->io_priority = IoPriority{"IOPRIO_CLASS_NONE", 0};
    CHECK(check(s, b.path) ==
          with_prefix(R"(process.ioPriority.class: unknown class "IOPRIO_CLASS_NONE")"));
    s.process->io_priority = IoPriority{"IOPRIO_CLASS_BE", 8};
    CHECK(check(s, b.path) == with_prefix("process.ioPriority.priority: 8 is outside 0..7"));
    s.process->io_priority = IoPriority{"IOPRIO_CLASS_BE", -1};
    CHECK(check(s, b.path) != "ok");
}

TEST_CASE("validate: namespaces") {
    TempBundle b;
    Spec s = valid_spec();
    s.linux->namespaces = {{"pid", ""},   {"network", "/run/netns/x"},
                           {"mount", ""}, {"ipc", ""},
                           {"uts", ""},   {"cgroup", ""},
                           {"time", ""}};
    CHECK(check(s, b.path) == "ok");
    s.linux->namespaces.push_back({"net", ""});
    CHECK(check(s, b.path) ==
          with_prefix(R"(linux.namespaces[7].type: unknown namespace type "net")"));
    s.linux->namespaces.back() = {"pid", "/proc/1/ns/pid"};
    CHECK(check(s, b.path) ==
          with_prefix(R"(linux.namespaces[7].type: duplicate namespace "pid")"));
    s.linux->namespaces.back() = {"", ""};
    CHECK(check(s, b.path) != "ok");
    s.linux->namespaces.pop_back();
    s.linux->namespaces[1].path = "run/netns/x";
    CHECK(check(s, b.path) ==
          with_prefix(R"(linux.namespaces[1].path: must be an absolute path, got "run/netns/x")"));
}

TEST_CASE("validate: user namespace and id mappings") {
    TempBundle b;
    Spec s = valid_spec();
    s.linux->namespaces.push_back({"user", ""});
    s.linux->uid_mappings = {{0, 100000, 65536}};
    s.linux->gid_mappings = {{0, 100000, 65536}};
    CHECK(check(s, b.path) == "ok");

    s.linux->gid_mappings.clear();
    CHECK(check(s, b.path) == with_prefix("linux.gidMappings: required by a new user namespace"));
    s.linux->uid_mappings.clear();
    CHECK(check(s, b.path) == with_prefix("linux.uidMappings: required by a new user namespace"));
    // Joining an existing user namespace brings its own maps.
    s.linux->namespaces.back().path = "/proc/4242/ns/user";
    CHECK(check(s, b.path) == "ok");

    s.linux->uid_mappings = {{0, 1000, 0}};
    CHECK(check(s, b.path) == with_prefix("linux.uidMappings[0].size: must be greater than zero"));

    s = valid_spec();
    s.linux->uid_mappings = {{0, 1000, 1}};
    CHECK(check(s, b.path) == with_prefix("linux.uidMappings: set but there is no user namespace"));
    s.linux->uid_mappings.clear();
    s.linux->gid_mappings = {{0, 1000, 1}};
    CHECK(check(s, b.path) == with_prefix("linux.gidMappings: set but there is no user namespace"));
}

TEST_CASE("validate: id ranges must not overlap, overflow, or leave the process unmapped") {
    TempBundle b;
    Spec s = valid_spec();
    s.linux->namespaces.push_back({"user", ""});
    s.linux->uid_mappings = {{0, 100000, 1000}, {1000, 300000, 10}};
    s.linux->gid_mappings = {{0, 100000, 1000}};
    CHECK(check(s, b.path) == "ok");
    s.linux->uid_mappings[1].container_id = 999;
    CHECK(check(s, b.path) ==
          with_prefix("linux.uidMappings[1]: container ids overlap linux.uidMappings[0]"));
    s.linux->uid_mappings[1] = {1000, 100999, 10};
    CHECK(check(s, b.path) ==
          with_prefix("linux.uidMappings[1]: host ids overlap linux.uidMappings[0]"));
    s.linux->uid_mappings[1] = {4294967290u, 400000, 10};
    CHECK(check(s, b.path) == with_prefix("linux.uidMappings[1]: range goes past 4294967295"));
    s.linux->uid_mappings.pop_back();
    s.process->user.uid = 1000; // one past the end of the only range
    CHECK(check(s, b.path) == with_prefix("process.user.uid: 1000 is not in linux.uidMappings"));
    s.process->user.uid = 999;
    s.process->user.additional_gids = {5, 4000};
    CHECK(check(s, b.path) ==
          with_prefix("process.user.additionalGids: 4000 is not in linux.gidMappings"));
}

TEST_CASE("validate: hostname and domainname need a uts namespace") {
    TempBundle b;
    Spec s = valid_spec();
    s.hostname = "box";
    s.domainname = "example.test";
    CHECK(check(s, b.path) == "ok");
    // Joined by path still counts, as in runc.
    s.linux->namespaces[2].path = "/proc/77/ns/uts";
    CHECK(check(s, b.path) == "ok");

    s.linux->namespaces.erase(s.linux->namespaces.begin() + 2);
    CHECK(check(s, b.path) == with_prefix("hostname: needs a uts namespace"));
    s.hostname.clear();
    CHECK(check(s, b.path) == with_prefix("domainname: needs a uts namespace"));
    s.domainname.clear();
    CHECK(check(s, b.path) == "ok");
    s.linux.reset();
    s.hostname = "box";
    CHECK(check(s, b.path) == with_prefix("hostname: needs a uts namespace"));
}

TEST_CASE("validate: sysctls need the namespace that owns them") {
    TempBundle b;
    Spec s = valid_spec();
    s.linux->sysctl = {{"net.ipv4.ip_forward", "1"}, {"net/ipv4/ping_group_range", "0 0"},
                       {"kernel.msgmax", "8192"},    {"kernel.sem", "250 32000 32 128"},
                       {"kernel.shmmax", "1"},       {"kernel.shm_rmid_forced", "1"},
                       {"fs.mqueue.msg_max", "20"},  {"kernel.hostname", "x"},
                       {"kernel.domainname", "y"}};
    CHECK(check(s, b.path) == "ok");

    struct Case {
        const char* key;
        const char* drop; // the namespace removed
        const char* message;
    };
    const Case cases[] = {
        {"net.core.somaxconn", "network",
         R"(linux.sysctl: "net.core.somaxconn" needs a network namespace)"},
        {"kernel.msgmnb", "ipc", R"(linux.sysctl: "kernel.msgmnb" needs a ipc namespace)"},
        {"kernel.sem", "ipc", R"(linux.sysctl: "kernel.sem" needs a ipc namespace)"},
        {"kernel.shmall", "ipc", R"(linux.sysctl: "kernel.shmall" needs a ipc namespace)"},
        {"fs.mqueue.queues_max", "ipc",
         R"(linux.sysctl: "fs.mqueue.queues_max" needs a ipc namespace)"},
        {"kernel.hostname", "uts", R"(linux.sysctl: "kernel.hostname" needs a uts namespace)"},
        {"kernel.domainname", "uts", R"(linux.sysctl: "kernel.domainname" needs a uts namespace)"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.key);
        Spec t = valid_spec();
        t.linux->sysctl = {{c.key, "1"}};
        CHECK(check(t, b.path) == "ok");
        auto& ns = t.linux->namespaces;
        std::erase_if(ns, [&](const Namespace& n) { return n.type == c.drop; });
        CHECK(check(t, b.path) == with_prefix(c.message));
    }

    for (const char* key : {"kernel.core_pattern", "vm.overcommit_memory", "kernel.semx.y",
                            "fs.file-max", "kernel.pid_max"}) {
        CAPTURE(key);
        Spec t = valid_spec();
        t.linux->sysctl = {{key, "1"}};
        CHECK(check(t, b.path) ==
              with_prefix("linux.sysctl: \"" + std::string(key) + "\" is not namespaced, refused"));
    }
}

TEST_CASE("validate: timeOffsets need a time namespace") {
    TempBundle b;
    Spec s = valid_spec();
    s.linux->time_offsets = {{"monotonic", {10, 0}}, {"boottime", {-5, 999999999}}};
    s.linux->namespaces.push_back({"time", ""});
    CHECK(check(s, b.path) == "ok");

    s.linux->namespaces.pop_back();
    CHECK(check(s, b.path) == with_prefix("linux.timeOffsets: needs a time namespace"));
    s.linux->namespaces.push_back({"time", ""});
    s.linux->time_offsets = {{"realtime", {1, 0}}};
    CHECK(check(s, b.path) == with_prefix(R"(linux.timeOffsets: unknown clock "realtime")"));
    s.linux->time_offsets = {{"boottime", {1, 1000000000}}};
    CHECK(check(s, b.path) ==
          with_prefix("linux.timeOffsets.boottime.nanosecs: must be below 1000000000"));
}

TEST_CASE("validate: mount destinations are absolute") {
    TempBundle b;
    Spec s = valid_spec();
    s.mounts = {{"/proc", "proc", "proc", {}, {}, {}},
                {"/data", "/srv", "none", {"rbind"}, {}, {}}};
    CHECK(check(s, b.path) == "ok");
    s.mounts[1].destination = "data";
    CHECK(check(s, b.path) ==
          with_prefix(R"(mounts[1].destination: must be an absolute path, got "data")"));
    s.mounts[1].destination = "";
    CHECK(check(s, b.path) != "ok");
}

TEST_CASE("validate: idmapped mounts take both maps") {
    TempBundle b;
    Spec s = valid_spec();
    s.mounts = {{"/data", "/srv", "none", {"bind"}, {{0, 1000, 1}}, {{0, 1000, 1}}}};
    CHECK(check(s, b.path) == "ok");
    s.mounts[0].gid_mappings.clear();
    CHECK(check(s, b.path) ==
          with_prefix("mounts[0]: uidMappings and gidMappings must be given together"));
    s.mounts[0].gid_mappings = {{0, 1000, 0}};
    CHECK(check(s, b.path) ==
          with_prefix("mounts[0].gidMappings[0].size: must be greater than zero"));
}

TEST_CASE("validate: devices") {
    TempBundle b;
    Spec s = valid_spec();
    s.linux->devices = {{"c", "/dev/fuse", 10, 229, 0666, 0, 0},
                        {"b", "/dev/sdz", 8, 0, std::nullopt, std::nullopt, std::nullopt},
                        {"u", "/dev/u0", 4, 1, std::nullopt, std::nullopt, std::nullopt},
                        {"p", "/run/fifo", 0, 0, std::nullopt, std::nullopt, std::nullopt}};
    CHECK(check(s, b.path) == "ok");

    s.linux->devices[3].type = "x";
    CHECK(check(s, b.path) ==
          with_prefix(R"(linux.devices[3].type: unknown device type "x", need c, b, u or p)"));
    s.linux->devices[3].type = "";
    CHECK(check(s, b.path) != "ok");
    s.linux->devices[3].type = "p";
    s.linux->devices[0].path = "dev/fuse";
    CHECK(check(s, b.path) ==
          with_prefix(R"(linux.devices[0].path: must be an absolute path, got "dev/fuse")"));
    s.linux->devices[0].path = "/dev/fuse";
    s.linux->devices[0].gid = 4294967295u;
    CHECK(check(s, b.path) == with_prefix("linux.devices[0].gid: 4294967295 is not a valid id"));
}

TEST_CASE("validate: device cgroup rules") {
    TempBundle b;
    Spec s = valid_spec();
    Resources res;
    res.devices = {{false, "", std::nullopt, std::nullopt, "rwm"},
                   {true, "c", 1, 3, "rw"},
                   {true, "a", std::nullopt, std::nullopt, "m"},
                   {true, "b", 8, std::nullopt, ""}};
    s.linux->resources = res;
    CHECK(check(s, b.path) == "ok");
    s.linux->resources->devices[1].type = "u";
    CHECK(
        check(s, b.path) ==
        with_prefix(R"(linux.resources.devices[1].type: unknown device type "u", need a, b or c)"));
    s.linux->resources->devices[1].type = "c";
    s.linux->resources->devices[2].access = "rwx";
    CHECK(check(s, b.path) ==
          with_prefix(R"(linux.resources.devices[2].access: "rwx" is not a subset of "rwm")"));
}

TEST_CASE("validate: personality") {
    TempBundle b;
    Spec s = valid_spec();
    for (const char* d : {"LINUX", "LINUX32"}) {
        s.linux->personality = Personality{d, {}};
        CHECK(check(s, b.path) == "ok");
    }
    s.linux->personality = Personality{"linux", {}};
    CHECK(
        check(s, b.path) ==
        with_prefix(R"(linux.personality.domain: unknown domain "linux", need LINUX or LINUX32)"));
}

TEST_CASE("validate: hooks") {
    TempBundle b;
    Spec s = valid_spec();
    Hooks h;
    h.prestart = {{"/bin/true", {"true"}, {}, 5}};
    h.poststop = {{"/bin/false", {}, {}, std::nullopt}};
    s.hooks = h;
    CHECK(check(s, b.path) == "ok");
    s.hooks->poststop[0].path = "false";
    CHECK(check(s, b.path) ==
          with_prefix(R"(hooks.poststop[0].path: must be an absolute path, got "false")"));
    s.hooks->poststop[0].path = "/bin/false";
    s.hooks->prestart[0].timeout = 0;
    CHECK(check(s, b.path) == with_prefix("hooks.prestart[0].timeout: must be greater than zero"));
    s.hooks->prestart[0].timeout = 1;
    s.hooks->create_runtime = {{"", {}, {}, std::nullopt}};
    CHECK(check(s, b.path) ==
          with_prefix(R"(hooks.createRuntime[0].path: must be an absolute path, got "")"));
}

TEST_CASE("validate_container_id") {
    for (const char* id : {"a", "abc-123", "A_b.c+d-e", "...", ".hidden", "0"})
        CHECK_MESSAGE(validate_container_id(id).ok(), id);
    CHECK(validate_container_id(std::string(1024, 'x')).ok());

    auto msg = [](std::string_view id) {
        auto r = validate_container_id(id);
        return r.ok() ? std::string("ok") : r.error().message();
    };
    CHECK(msg("") == "container id: must not be empty");
    CHECK(msg(".") == R"(container id: "." is not allowed)");
    CHECK(msg("..") == R"(container id: ".." is not allowed)");
    CHECK(msg(std::string(1025, 'x')) == "container id: longer than 1024 characters");
    CHECK(msg("a/b") == R"(container id: "a/b" may only hold A-Z a-z 0-9 _ + . -)");
    CHECK(msg("a\nb") == R"(container id: "a\nb" may only hold A-Z a-z 0-9 _ + . -)");
    for (const std::string& id :
         std::vector<std::string>{"a b", "a:b", "../x", "é", std::string("a\0b", 3), "a*", "$x"}) {
        CAPTURE(id);
        CHECK_FALSE(validate_container_id(id).ok());
    }
}

TEST_CASE("parse_id_strict") {
    auto ok = [](std::string_view s) {
        auto r = parse_id_strict(s);
        REQUIRE_MESSAGE(r.ok(), r.error().message());
        return r.value();
    };
    CHECK(ok("0") == 0u);
    CHECK(ok("1") == 1u);
    CHECK(ok("1000") == 1000u);
    CHECK(ok("4294967294") == 4294967294u);

    auto msg = [](std::string_view s) {
        auto r = parse_id_strict(s);
        return r.ok() ? std::string("ok") : r.error().message();
    };
    CHECK(msg("") == "id: empty");
    CHECK(msg("4294967295") == R"(id: 4294967295 is reserved (setresuid reads it as "unchanged"))");
    CHECK(msg("4294967296") == R"(id: "4294967296" is out of range for uint32)");
    CHECK(msg("99999999999999999999999") ==
          R"(id: "99999999999999999999999" is out of range for uint32)");
    CHECK(msg("-1") == R"(id: "-1" is not a decimal number)");
    CHECK(msg("+1") == R"(id: "+1" is not a decimal number)");
    CHECK(msg(" 1") == R"(id: " 1" is not a decimal number)");
    CHECK(msg("1 ") == R"(id: "1 " is not a decimal number)");
    CHECK(msg("1a") == R"(id: "1a" is not a decimal number)");
    CHECK(msg("0x10") == R"(id: "0x10" is not a decimal number)");
    CHECK(msg("010") == R"(id: "010" has a leading zero)");
    for (const std::string& s :
         std::vector<std::string>{"1\n", "\t1", "1.0", "1e3", "١", std::string("1\0", 2)}) {
        CAPTURE(s);
        CHECK_FALSE(parse_id_strict(s).ok());
    }
    CHECK(msg(std::string(100, '9')).find("...") != std::string::npos);
}
