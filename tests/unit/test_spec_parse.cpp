#include "spec/parse.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace corral;
using namespace corral::spec;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string full_config_text() {
    return read_file(std::string(CORRAL_TEST_DATA) + "/config-full.json");
}

// The message of the error parse_config returns, or "ok".
std::string parse_message(const std::string& text) {
    auto r = parse_config(text);
    return r.ok() ? "ok" : r.error().message();
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/corral-parse-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

} // namespace

TEST_CASE("parse: the full example config maps every field") {
    auto r = parse_config(full_config_text());
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    const Spec& s = r.value();

    CHECK(s.oci_version == "1.2.0");
    CHECK(s.hostname == "box-one");
    CHECK(s.domainname == "example.test");
    CHECK(s.root.path == "rootfs");
    CHECK(s.root.readonly);
    CHECK(s.annotations.size() == 2);
    CHECK(s.annotations.at("org.example.owner") == "team-corral");
    CHECK(s.annotations.at("org.example.purpose") == "parser test");

    REQUIRE(s.process);
    const Process& p = *s.process;
    CHECK(p.terminal);
    REQUIRE(p.console_size);
    CHECK(p.console_size->height == 40);
    CHECK(p.console_size->width == 132);
    CHECK(p.user.uid == 1000);
    CHECK(p.user.gid == 1000);
    CHECK(p.user.umask == 18u);
    CHECK(p.user.additional_gids == std::vector<uint32_t>{10, 100});
    CHECK(p.user.username == "builder");
    CHECK(p.args == std::vector<std::string>{"/bin/server", "--port", "8080"});
    CHECK(p.command_line == "server.exe --port 8080");
    CHECK(p.env == std::vector<std::string>{"PATH=/usr/bin:/bin", "APP_MODE=test"});
    CHECK(p.cwd == "/srv/app");
    REQUIRE(p.capabilities);
    CHECK(p.capabilities->bounding == std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"});
    CHECK(p.capabilities->effective == std::vector<std::string>{"CAP_KILL"});
    CHECK(p.capabilities->inheritable == std::vector<std::string>{"CAP_SETUID"});
    CHECK(p.capabilities->permitted == std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"});
    CHECK(p.capabilities->ambient == std::vector<std::string>{"CAP_NET_RAW"});
    REQUIRE(p.rlimits.size() == 2);
    CHECK(p.rlimits[0].type == "RLIMIT_NOFILE");
    CHECK(p.rlimits[0].hard == 4096);
    CHECK(p.rlimits[0].soft == 2048);
    CHECK(p.rlimits[1].type == "RLIMIT_CORE");
    CHECK(p.rlimits[1].hard == UINT64_MAX);
    CHECK(p.rlimits[1].soft == 0);
    CHECK(p.no_new_privileges);
    CHECK(p.apparmor_profile == "corral-test-profile");
    CHECK(p.oom_score_adj == -250);
    REQUIRE(p.scheduler);
    CHECK(p.scheduler->policy == "SCHED_FIFO");
    CHECK(p.scheduler->nice == -5);
    CHECK(p.scheduler->priority == 42);
    CHECK(p.scheduler->flags == std::vector<std::string>{"SCHED_FLAG_RESET_ON_FORK"});
    CHECK(p.scheduler->runtime == 500000u);
    CHECK(p.scheduler->deadline == 900000u);
    CHECK(p.scheduler->period == 1000000u);
    CHECK(p.selinux_label == "system_u:system_r:svirt_lxc_net_t:s0:c7,c9");
    REQUIRE(p.io_priority);
    CHECK(p.io_priority->io_class == "IOPRIO_CLASS_BE");
    CHECK(p.io_priority->priority == 3);
    REQUIRE(p.exec_cpu_affinity);
    CHECK(p.exec_cpu_affinity->initial == "0-1");
    CHECK(p.exec_cpu_affinity->final == "2,3");

    REQUIRE(s.mounts.size() == 3);
    CHECK(s.mounts[0].destination == "/proc");
    CHECK(s.mounts[0].type == "proc");
    CHECK(s.mounts[0].source == "proc");
    CHECK(s.mounts[0].options.empty());
    CHECK(s.mounts[1].destination == "/data");
    CHECK(s.mounts[1].source == "/var/lib/corral-test/data");
    CHECK(s.mounts[1].options == std::vector<std::string>{"rbind", "rw"});
    REQUIRE(s.mounts[1].uid_mappings.size() == 1);
    CHECK(s.mounts[1].uid_mappings[0].container_id == 0);
    CHECK(s.mounts[1].uid_mappings[0].host_id == 200000);
    CHECK(s.mounts[1].uid_mappings[0].size == 65536);
    REQUIRE(s.mounts[1].gid_mappings.size() == 1);
    CHECK(s.mounts[1].gid_mappings[0].host_id == 300000);
    CHECK(s.mounts[2].options == std::vector<std::string>{"nosuid", "size=10m"});

    REQUIRE(s.hooks);
    const Hooks& h = *s.hooks;
    REQUIRE(h.prestart.size() == 1);
    CHECK(h.prestart[0].path == "/usr/libexec/corral-test/prestart");
    CHECK(h.prestart[0].args == std::vector<std::string>{"prestart", "--verbose"});
    CHECK(h.prestart[0].env == std::vector<std::string>{"HOOK=1"});
    CHECK(h.prestart[0].timeout == 7);
    REQUIRE(h.create_runtime.size() == 1);
    CHECK(h.create_runtime[0].path == "/usr/libexec/corral-test/create-runtime");
    CHECK_FALSE(h.create_runtime[0].timeout);
    REQUIRE(h.create_container.size() == 1);
    CHECK(h.create_container[0].path == "/usr/libexec/corral-test/create-container");
    REQUIRE(h.start_container.size() == 1);
    CHECK(h.start_container[0].path == "/usr/libexec/corral-test/start-container");
    REQUIRE(h.poststart.size() == 1);
    CHECK(h.poststart[0].timeout == 3);
    REQUIRE(h.poststop.size() == 2);
    CHECK(h.poststop[1].path == "/usr/libexec/corral-test/poststop-b");

    REQUIRE(s.linux);
    const Linux& l = *s.linux;
    REQUIRE(l.namespaces.size() == 8);
    CHECK(l.namespaces[0].type == "pid");
    CHECK(l.namespaces[0].path.empty());
    CHECK(l.namespaces[1].type == "network");
    CHECK(l.namespaces[1].path == "/var/run/netns/corral-test");
    CHECK(l.namespaces[7].type == "time");
    REQUIRE(l.find_namespace("user"));
    REQUIRE(l.uid_mappings.size() == 1);
    CHECK(l.uid_mappings[0].host_id == 100000);
    CHECK(l.uid_mappings[0].size == 65536);
    REQUIRE(l.gid_mappings.size() == 1);
    CHECK(l.gid_mappings[0].host_id == 110000);
    REQUIRE(l.time_offsets.size() == 2);
    CHECK(l.time_offsets.at("monotonic").secs == -3600);
    CHECK(l.time_offsets.at("monotonic").nanosecs == 250);
    CHECK(l.time_offsets.at("boottime").secs == 86400);
    REQUIRE(l.devices.size() == 2);
    CHECK(l.devices[0].type == "c");
    CHECK(l.devices[0].path == "/dev/corral-char");
    CHECK(l.devices[0].major == 10);
    CHECK(l.devices[0].minor == 229);
    CHECK(l.devices[0].file_mode == 438u);
    CHECK(l.devices[0].uid == 0u);
    CHECK(l.devices[0].gid == 5u);
    CHECK(l.devices[1].type == "b");
    CHECK_FALSE(l.devices[1].file_mode);
    CHECK_FALSE(l.devices[1].uid);
    CHECK(l.cgroups_path == "/corral/test-full");

    REQUIRE(l.resources);
    const Resources& res = *l.resources;
    REQUIRE(res.devices.size() == 2);
    CHECK_FALSE(res.devices[0].allow);
    CHECK(res.devices[0].type.empty());
    CHECK_FALSE(res.devices[0].major);
    CHECK(res.devices[0].access == "rwm");
    CHECK(res.devices[1].allow);
    CHECK(res.devices[1].type == "c");
    CHECK(res.devices[1].major == 10);
    CHECK(res.devices[1].minor == 229);
    CHECK(res.devices[1].access == "rw");
    REQUIRE(res.memory);
    CHECK(res.memory->limit == 268435456);
    CHECK(res.memory->reservation == 134217728);
    CHECK(res.memory->swap == 536870912);
    CHECK(res.memory->kernel == -1);
    CHECK(res.memory->kernel_tcp == 8388608);
    CHECK(res.memory->swappiness == 30u);
    CHECK(res.memory->disable_oom_killer == false);
    CHECK(res.memory->use_hierarchy == true);
    CHECK(res.memory->check_before_update == true);
    REQUIRE(res.cpu);
    CHECK(res.cpu->shares == 512u);
    CHECK(res.cpu->quota == 50000);
    CHECK(res.cpu->burst == 10000u);
    CHECK(res.cpu->period == 100000u);
    CHECK(res.cpu->realtime_runtime == 950);
    CHECK(res.cpu->realtime_period == 1000u);
    CHECK(res.cpu->cpus == "0-3");
    CHECK(res.cpu->mems == "0");
    CHECK(res.cpu->idle == 1);
    REQUIRE(res.pids);
    CHECK(res.pids->limit == 64);
    REQUIRE(res.block_io);
    CHECK(res.block_io->weight == 300);
    CHECK(res.block_io->leaf_weight == 200);
    REQUIRE(res.block_io->weight_device.size() == 1);
    CHECK(res.block_io->weight_device[0].major == 8);
    CHECK(res.block_io->weight_device[0].minor == 0);
    CHECK(res.block_io->weight_device[0].weight == 600);
    CHECK(res.block_io->weight_device[0].leaf_weight == 100);
    REQUIRE(res.block_io->throttle_read_bps.size() == 1);
    CHECK(res.block_io->throttle_read_bps[0].rate == 1048576);
    REQUIRE(res.block_io->throttle_write_bps.size() == 1);
    CHECK(res.block_io->throttle_write_bps[0].minor == 16);
    CHECK(res.block_io->throttle_write_bps[0].rate == 2097152);
    REQUIRE(res.block_io->throttle_read_iops.size() == 1);
    CHECK(res.block_io->throttle_read_iops[0].rate == 300);
    REQUIRE(res.block_io->throttle_write_iops.size() == 1);
    CHECK(res.block_io->throttle_write_iops[0].rate == 150);
    REQUIRE(res.hugepage_limits.size() == 1);
    CHECK(res.hugepage_limits[0].page_size == "2MB");
    CHECK(res.hugepage_limits[0].limit == 4194304);
    REQUIRE(res.network);
    CHECK(res.network->class_id == 1048577u);
    REQUIRE(res.network->priorities.size() == 2);
    CHECK(res.network->priorities[0].name == "eth0");
    CHECK(res.network->priorities[0].priority == 200);
    CHECK(res.network->priorities[1].name == "lo");
    REQUIRE(res.rdma.count("mlx5_1") == 1);
    CHECK(res.rdma.at("mlx5_1").hca_handles == 4u);
    CHECK(res.rdma.at("mlx5_1").hca_objects == 9000u);
    CHECK(res.unified.size() == 2);
    CHECK(res.unified.at("memory.high") == "200000000");
    CHECK(res.unified.at("io.max") == "8:0 rbps=1048576");

    REQUIRE(l.intel_rdt);
    CHECK(l.intel_rdt->clos_id == "corral-group");
    CHECK(l.intel_rdt->l3_cache_schema == "L3:0=7f0;1=1f");
    CHECK(l.intel_rdt->mem_bw_schema == "MB:0=40;1=60");
    CHECK(l.intel_rdt->schemata == std::vector<std::string>{"L2:0=ff"});
    CHECK(l.intel_rdt->enable_cmt == true);
    CHECK(l.intel_rdt->enable_mbm == false);
    REQUIRE(l.memory_policy);
    CHECK(l.memory_policy->mode == "MPOL_INTERLEAVE");
    CHECK(l.memory_policy->nodes == "0-1");
    CHECK(l.memory_policy->flags == std::vector<std::string>{"MPOL_F_STATIC_NODES"});
    REQUIRE(l.net_devices.size() == 1);
    CHECK(l.net_devices.at("eth1").name == "ctr1");
    CHECK(l.sysctl.size() == 2);
    CHECK(l.sysctl.at("net.ipv4.ip_forward") == "1");
    CHECK(l.sysctl.at("kernel.shmmax") == "68719476736");

    REQUIRE(l.seccomp);
    const Seccomp& sc = *l.seccomp;
    CHECK(sc.default_action == "SCMP_ACT_ERRNO");
    CHECK(sc.default_errno_ret == 1u);
    CHECK(sc.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"});
    CHECK(sc.flags == std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
    CHECK(sc.listener_path == "/run/corral-test/seccomp.sock");
    CHECK(sc.listener_metadata == "agent=test");
    REQUIRE(sc.syscalls.size() == 2);
    CHECK(sc.syscalls[0].names == std::vector<std::string>{"read", "write"});
    CHECK(sc.syscalls[0].action == "SCMP_ACT_ALLOW");
    CHECK_FALSE(sc.syscalls[0].errno_ret);
    CHECK(sc.syscalls[0].args.empty());
    CHECK(sc.syscalls[1].errno_ret == 38u);
    REQUIRE(sc.syscalls[1].args.size() == 1);
    CHECK(sc.syscalls[1].args[0].index == 0);
    CHECK(sc.syscalls[1].args[0].value == 8);
    CHECK(sc.syscalls[1].args[0].value_two == 255);
    CHECK(sc.syscalls[1].args[0].op == "SCMP_CMP_MASKED_EQ");

    CHECK(l.rootfs_propagation == "rslave");
    CHECK(l.masked_paths == std::vector<std::string>{"/proc/kcore", "/sys/firmware"});
    CHECK(l.readonly_paths == std::vector<std::string>{"/proc/sys"});
    CHECK(l.mount_label == "system_u:object_r:svirt_sandbox_file_t:s0:c7,c9");
    REQUIRE(l.personality);
    CHECK(l.personality->domain == "LINUX32");
    CHECK(l.personality->flags == std::vector<std::string>{"ADDR_NO_RANDOMIZE"});
}

TEST_CASE("parse: absent, null and unknown fields") {
    auto r = parse_config(R"({"ociVersion": "1.0.0", "process": null, "hooks": null,
                              "linux": {"resources": {"memory": {"limit": null}}},
                              "future": {"x": [1, 2]}})");
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->oci_version == "1.0.0");
    CHECK_FALSE(r->process);
    CHECK_FALSE(r->hooks);
    REQUIRE(r->linux);
    REQUIRE(r->linux->resources);
    REQUIRE(r->linux->resources->memory);
    CHECK_FALSE(r->linux->resources->memory->limit);
    CHECK_FALSE(r->linux->resources->cpu);
    CHECK(r->root.path.empty());

    auto empty = parse_config("{}");
    REQUIRE(empty.ok());
    CHECK(empty->mounts.empty());
    CHECK_FALSE(empty->linux);
}

TEST_CASE("parse: optional zero stays distinct from absent") {
    auto r = parse_config(R"({"process": {"user": {"uid": 0, "gid": 0, "umask": 0},
                                          "oomScoreAdj": 0}})");
    REQUIRE(r.ok());
    REQUIRE(r->process);
    CHECK(r->process->user.umask == 0u);
    CHECK(r->process->oom_score_adj == 0);
    CHECK_FALSE(r->process->scheduler);
}

TEST_CASE("parse: the error op and detail split as documented") {
    auto r = parse_config(R"({"process": {"user": {"uid": "0"}}})");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().err == 0);
    CHECK(r.error().op == "config.json:");
    CHECK(r.error().detail == "process.user.uid: expected unsigned integer, got string");
    CHECK(r.error().message() == "config.json: process.user.uid: expected unsigned integer, got "
                                 "string");
}

TEST_CASE("parse: type errors name the json path") {
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"([1, 2])", "config.json: expected object, got array"},
        {R"({"ociVersion": 1})", "config.json: ociVersion: expected string, got integer"},
        {R"({"process": []})", "config.json: process: expected object, got array"},
        {R"({"process": {"terminal": "yes"}})",
         "config.json: process.terminal: expected boolean, got string"},
        {R"({"process": {"user": {"uid": 1.5}}})",
         "config.json: process.user.uid: expected unsigned integer, got float"},
        {R"({"process": {"user": {"gid": true}}})",
         "config.json: process.user.gid: expected unsigned integer, got boolean"},
        {R"({"process": {"user": {"additionalGids": [1, "2"]}}})",
         "config.json: process.user.additionalGids[1]: expected unsigned integer, got string"},
        {R"({"process": {"args": ["sh", 7]}})",
         "config.json: process.args[1]: expected string, got integer"},
        {R"({"process": {"env": "A=1"}})", "config.json: process.env: expected array, got string"},
        {R"({"process": {"oomScoreAdj": "high"}})",
         "config.json: process.oomScoreAdj: expected integer, got string"},
        {R"({"process": {"capabilities": {"ambient": [null]}}})",
         "config.json: process.capabilities.ambient[0]: expected string, got null"},
        {R"({"process": {"rlimits": [{"type": "RLIMIT_CPU", "hard": "1"}]}})",
         "config.json: process.rlimits[0].hard: expected unsigned integer, got string"},
        {R"({"process": {"scheduler": {"nice": {}}}})",
         "config.json: process.scheduler.nice: expected integer, got object"},
        {R"({"process": {"ioPriority": {"class": 2}}})",
         "config.json: process.ioPriority.class: expected string, got integer"},
        {R"({"process": {"consoleSize": {"width": "80"}}})",
         "config.json: process.consoleSize.width: expected unsigned integer, got string"},
        {R"({"root": {"readonly": 1}})",
         "config.json: root.readonly: expected boolean, got integer"},
        {R"({"mounts": [{"destination": "/a"}, {"destination": "/b"}, {"destination": 3}]})",
         "config.json: mounts[2].destination: expected string, got integer"},
        {R"({"mounts": [{"destination": "/a", "uidMappings": [{"size": "1"}]}]})",
         "config.json: mounts[0].uidMappings[0].size: expected unsigned integer, got string"},
        {R"({"hooks": {"poststop": [{"path": "/x", "timeout": "5"}]}})",
         "config.json: hooks.poststop[0].timeout: expected integer, got string"},
        {R"({"annotations": ["a"]})", "config.json: annotations: expected object, got array"},
        {R"({"annotations": {"org.x": 1}})",
         R"(config.json: annotations["org.x"]: expected string, got integer)"},
        {R"({"linux": {"namespaces": {"type": "pid"}}})",
         "config.json: linux.namespaces: expected array, got object"},
        {R"({"linux": {"sysctl": {"net.ipv4.ip_forward": 1}}})",
         R"(config.json: linux.sysctl["net.ipv4.ip_forward"]: expected string, got integer)"},
        {R"({"linux": {"timeOffsets": {"monotonic": {"secs": "1"}}}})",
         R"(config.json: linux.timeOffsets["monotonic"].secs: expected integer, got string)"},
        {R"({"linux": {"resources": {"memory": {"swappiness": "60"}}}})",
         "config.json: linux.resources.memory.swappiness: expected unsigned integer, got string"},
        {R"({"linux": {"resources": {"rdma": {"mlx": {"hcaHandles": []}}}}})",
         R"(config.json: linux.resources.rdma["mlx"].hcaHandles: expected unsigned integer, got array)"},
        {R"({"linux": {"seccomp": {"syscalls": [{"names": ["read"], "args": [{"op": 1}]}]}}})",
         "config.json: linux.seccomp.syscalls[0].args[0].op: expected string, got integer"},
        {R"({"linux": {"netDevices": {"eth0": {"name": false}}}})",
         R"(config.json: linux.netDevices["eth0"].name: expected string, got boolean)"},
        {R"({"linux": {"personality": {"flags": "x"}}})",
         "config.json: linux.personality.flags: expected array, got string"},
        {R"({"linux": {"intelRdt": {"enableCMT": "true"}}})",
         "config.json: linux.intelRdt.enableCMT: expected boolean, got string"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.json);
        CHECK(parse_message(c.json) == c.message);
    }
}

TEST_CASE("parse: range errors") {
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"({"process": {"user": {"uid": 5000000000}}})",
         "config.json: process.user.uid: value 5000000000 out of range for uint32"},
        {R"({"process": {"user": {"uid": -1}}})",
         "config.json: process.user.uid: value -1 out of range for uint32"},
        {R"({"process": {"rlimits": [{"type": "RLIMIT_CPU", "soft": -5}]}})",
         "config.json: process.rlimits[0].soft: value -5 out of range for uint64"},
        {R"({"process": {"oomScoreAdj": 3000000000}})",
         "config.json: process.oomScoreAdj: value 3000000000 out of range for int32"},
        {R"({"process": {"oomScoreAdj": -3000000000}})",
         "config.json: process.oomScoreAdj: value -3000000000 out of range for int32"},
        {R"({"linux": {"resources": {"memory": {"limit": 9223372036854775808}}}})",
         "config.json: linux.resources.memory.limit: value 9223372036854775808 out of range "
         "for int64"},
        {R"({"linux": {"resources": {"blockIO": {"weight": 70000}}}})",
         "config.json: linux.resources.blockIO.weight: value 70000 out of range for uint16"},
        {R"({"linux": {"seccomp": {"syscalls": [{"args": [{"value": -1}]}]}}})",
         "config.json: linux.seccomp.syscalls[0].args[0].value: value -1 out of range for uint64"},
        {R"({"process": {"user": {"uid": 18446744073709551616}}})",
         "config.json: process.user.uid: value 1.8446744073709552e+19 out of range for uint32"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.json);
        CHECK(parse_message(c.json) == c.message);
    }
}

TEST_CASE("parse: integer limits at the edges are accepted") {
    auto r = parse_config(R"({"process": {"user": {"uid": 4294967295},
                                          "oomScoreAdj": -2147483648,
                                          "rlimits": [{"type": "RLIMIT_AS",
                                                       "hard": 18446744073709551615}]},
                              "linux": {"resources": {"memory": {"limit": -9223372036854775808},
                                                      "blockIO": {"weight": 65535}}}})");
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->process->user.uid == 4294967295u);
    CHECK(r->process->oom_score_adj == INT32_MIN);
    CHECK(r->process->rlimits[0].hard == UINT64_MAX);
    CHECK(r->linux->resources->memory->limit == INT64_MIN);
    CHECK(r->linux->resources->block_io->weight == 65535);
}

TEST_CASE("parse: invalid json is an error, never an exception") {
    CHECK(parse_message("{") ==
          "config.json: invalid json: parse error at line 1, column 2: syntax error while "
          "parsing object key - unexpected end of input; expected string literal");
    for (const char* text :
         {"", "{\"a\": tru}", "{\"a\": 1e400}", "\xff\xfe", "{} {}", "[", "{\"a\": \"\\ud800\"}"}) {
        CAPTURE(text);
        std::string m;
        CHECK_NOTHROW(m = parse_message(text));
        CHECK(m.rfind("config.json: invalid json: ", 0) == 0);
        for (char c : m)
            CHECK_FALSE((c >= 'A' && c <= 'Z'));
    }
}

TEST_CASE("load_config reads <bundle>/config.json") {
    TempDir dir;
    {
        std::ofstream out(dir.path + "/config.json");
        out << full_config_text();
    }
    auto r = load_config(dir.path);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->hostname == "box-one");
    auto slash = load_config(dir.path + "/");
    REQUIRE(slash.ok());
    CHECK(slash->hostname == "box-one");
}

TEST_CASE("load_config: a missing file is a syscall error naming the path") {
    TempDir dir;
    auto r = load_config(dir.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().err == ENOENT);
    CHECK(r.error().message() == "open " + dir.path + "/config.json: no such file or directory");
}

TEST_CASE("load_config: a directory in place of the file is an error") {
    TempDir dir;
    std::filesystem::create_directory(dir.path + "/config.json");
    auto r = load_config(dir.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().err == EISDIR);
    CHECK(r.error().message().find(dir.path + "/config.json") != std::string::npos);
}

TEST_CASE("load_config: parse errors come through") {
    TempDir dir;
    {
        std::ofstream out(dir.path + "/config.json");
        out << R"({"process": {"user": {"uid": "root"}}})";
    }
    auto r = load_config(dir.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() ==
          "config.json: process.user.uid: expected unsigned integer, got string");
}
