#include <doctest/doctest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ns/rootfs_plan.hpp"
#include "spec/spec.hpp"

namespace fs = std::filesystem;
using namespace corral;
using corral::ns::clean_container_path;
using corral::ns::plan_rootfs;

namespace {

// A bundle directory with rootfs/, a file and a directory to bind; removed
// when the test ends.
struct Bundle {
    fs::path dir;
    Bundle() {
        char tmpl[] = "/tmp/corral-plan-XXXXXX";
        dir = ::mkdtemp(tmpl);
        fs::create_directories(dir / "rootfs");
        fs::create_directories(dir / "volume");
        std::ofstream(dir / "hosts") << "127.0.0.1 localhost\n";
    }
    ~Bundle() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

spec::Spec base_spec() {
    spec::Spec s;
    s.root.path = "rootfs";
    s.linux.emplace();
    return s;
}

spec::Mount mnt(std::string dest, std::string type, std::string source,
                std::vector<std::string> options) {
    spec::Mount m;
    m.destination = std::move(dest);
    m.type = std::move(type);
    m.source = std::move(source);
    m.options = std::move(options);
    return m;
}

} // namespace

TEST_CASE("clean_container_path") {
    CHECK(clean_container_path("/") == "/");
    CHECK(clean_container_path("") == "/");
    CHECK(clean_container_path("proc") == "/proc");
    CHECK(clean_container_path("//dev///pts/") == "/dev/pts");
    CHECK(clean_container_path("/a/./b/../c") == "/a/c");
    CHECK(clean_container_path("/../../etc") == "/etc");
}

TEST_CASE("plan: rootfs, defaults and readonly root") {
    Bundle b;
    auto s = base_spec();
    s.root.readonly = true;
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    CHECK(plan->rootfs == fs::canonical(b.dir / "rootfs").string());
    CHECK(plan->readonly);
    CHECK_FALSE(plan->no_pivot);
    CHECK(plan->root_propagation == (MS_PRIVATE | MS_REC));
    CHECK(plan->create_default_devices);
    REQUIRE(plan->devices.size() == 6);
    CHECK(plan->devices[0].path == "/dev/null");
    CHECK(plan->devices[0].mode == (S_IFCHR | 0666));
    CHECK(plan->devices[0].dev == makedev(1, 3));
    CHECK(plan->devices[5].path == "/dev/tty");
    CHECK(plan->devices[5].dev == makedev(5, 0));
    CHECK(plan_rootfs(s, b.dir.string(), true)->no_pivot);
}

TEST_CASE("plan: root path errors") {
    Bundle b;
    auto s = base_spec();
    s.root.path = "missing";
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().err == ENOENT);
    s.root.path = "hosts";
    plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().err == ENOTDIR);
    s.root.path = (b.dir / "rootfs").string(); // absolute is taken as is
    CHECK(plan_rootfs(s, "/nonexistent-bundle", false).ok());
}

TEST_CASE("plan: mounts") {
    Bundle b;
    auto s = base_spec();
    s.mounts = {
        mnt("/proc", "proc", "proc", {}),
        mnt("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mnt("/etc/hosts", "bind", "hosts", {"rbind", "ro", "rprivate"}),
        mnt("data/", "none", (b.dir / "volume").string(), {"bind"}),
        mnt("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "ro"}),
    };
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    REQUIRE(plan->mounts.size() == 5);
    const auto& proc = plan->mounts[0];
    CHECK(proc.fstype == "proc");
    CHECK_FALSE(proc.bind);
    const auto& dev = plan->mounts[1];
    CHECK(dev.flags == (MS_NOSUID | MS_STRICTATIME));
    CHECK(dev.data == "mode=755,size=65536k");
    const auto& hosts = plan->mounts[2];
    CHECK(hosts.bind);
    CHECK(hosts.recursive);
    CHECK(hosts.fstype.empty());
    CHECK(hosts.source == (b.dir / "hosts").string());
    CHECK_FALSE(hosts.source_is_dir);
    CHECK(hosts.remount_after_bind);
    CHECK(hosts.flags == (MS_BIND | MS_REC | MS_RDONLY));
    CHECK(hosts.propagation == (MS_PRIVATE | MS_REC));
    const auto& data = plan->mounts[3];
    CHECK(data.destination == "/data");
    CHECK(data.bind);
    CHECK(data.source_is_dir);
    CHECK_FALSE(data.remount_after_bind);
    CHECK(data.flags == MS_BIND);
    const auto& cg = plan->mounts[4];
    CHECK(cg.fstype == "cgroup2");
    CHECK(cg.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
}

TEST_CASE("plan: bind with rw must lift an inherited ro") {
    Bundle b;
    auto s = base_spec();
    s.mounts = {mnt("/v", "bind", "volume", {"rbind", "rw"})};
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    CHECK(plan->mounts[0].remount_after_bind);
    CHECK(plan->mounts[0].clear_flags == MS_RDONLY);
}

TEST_CASE("plan: mount errors") {
    Bundle b;
    auto s = base_spec();
    s.mounts = {mnt("/x", "bind", "/nonexistent/x", {"rbind"})};
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().message() == "mount source /nonexistent/x: no such file or directory");

    s.mounts = {mnt("/proc", "tmpfs", "tmpfs", {})};
    plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().message() == "mount /proc: only procfs may be mounted on /proc");

    s.mounts = {mnt("/", "tmpfs", "tmpfs", {})};
    CHECK_FALSE(plan_rootfs(s, b.dir.string(), false).ok());

    // Inside /proc only what lxcfs-like tools replace: a volume over
    // /proc/self or /proc/1/fd would steer the runtime's own fd paths.
    for (const char* dest : {"/proc/self", "/proc/1/fd", "/proc/sys", "/proc/sys/kernel"}) {
        s.mounts = {mnt(dest, "tmpfs", "tmpfs", {})};
        plan = plan_rootfs(s, b.dir.string(), false);
        REQUIRE_FALSE(plan.ok());
        CHECK(plan.error().message().find("mounts inside /proc are limited") != std::string::npos);
    }
    s.mounts = {mnt("/proc", "proc", "proc", {}), mnt("/proc/meminfo", "tmpfs", "tmpfs", {})};
    CHECK(plan_rootfs(s, b.dir.string(), false).ok());
    s.mounts = {mnt("/procfoo", "tmpfs", "tmpfs", {})};
    CHECK(plan_rootfs(s, b.dir.string(), false).ok());
    s.mounts = {mnt("", "tmpfs", "tmpfs", {})};
    CHECK_FALSE(plan_rootfs(s, b.dir.string(), false).ok());
    s.mounts = {mnt("/x", "", "tmpfs", {})};
    CHECK_FALSE(plan_rootfs(s, b.dir.string(), false).ok());
    s.mounts = {mnt("/x", "tmpfs", "tmpfs", {"tmpcopyup"})};
    plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    CHECK(plan->mounts[0].tmpcopyup);
    s.mounts = {mnt("/x", "proc", "proc", {"tmpcopyup"})};
    plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().message() == "mount /x: tmpcopyup needs a tmpfs");
    s.mounts = {mnt("/x", "bind", "volume", {"rbind", "idmap"})};
    plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().message() ==
          "mount /x: idmap without uidMappings and gidMappings needs a user namespace");
}

TEST_CASE("plan: a bind of /dev turns off device creation") {
    Bundle b;
    auto s = base_spec();
    s.mounts = {mnt("/dev", "bind", "volume", {"rbind"})};
    spec::Device d;
    d.path = "/dev/fuse";
    d.type = "c";
    d.major = 10;
    d.minor = 229;
    s.linux->devices.push_back(d);
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    CHECK_FALSE(plan->create_default_devices);
    CHECK(plan->devices.empty());
}

TEST_CASE("plan: mount label") {
    Bundle b;
    auto s = base_spec();
    s.linux->mount_label = "system_u:object_r:container_file_t:s0";
    s.mounts = {mnt("/tmp", "tmpfs", "tmpfs", {"size=1m"}), mnt("/proc", "proc", "proc", {})};
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    CHECK(plan->mount_label == s.linux->mount_label);
    CHECK(plan->mounts[0].data == "size=1m,context=\"system_u:object_r:container_file_t:s0\"");
    CHECK(plan->mounts[1].data.empty());
}

TEST_CASE("plan: root propagation") {
    Bundle b;
    auto s = base_spec();
    struct Case {
        const char* word;
        unsigned long flag;
    };
    for (Case c : {Case{"shared", MS_SHARED}, Case{"rslave", MS_SLAVE | MS_REC},
                   Case{"private", MS_PRIVATE}, Case{"unbindable", MS_UNBINDABLE}}) {
        s.linux->rootfs_propagation = c.word;
        auto plan = plan_rootfs(s, b.dir.string(), false);
        REQUIRE(plan.ok());
        CHECK(plan->root_propagation == c.flag);
    }
    s.linux->rootfs_propagation = "sideways";
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.error().message() == "linux.rootfsPropagation: unknown value \"sideways\"");
}

TEST_CASE("plan: devices") {
    Bundle b;
    auto s = base_spec();
    spec::Device fuse;
    fuse.path = "/dev/fuse";
    fuse.type = "c";
    fuse.major = 10;
    fuse.minor = 229;
    spec::Device sda;
    sda.path = "/dev/disk/sda";
    sda.type = "b";
    sda.major = 8;
    sda.file_mode = 0600;
    sda.uid = 1000;
    sda.gid = 6;
    spec::Device fifo;
    fifo.path = "/dev/myfifo";
    fifo.type = "p";
    spec::Device null2;
    null2.path = "/dev/null";
    null2.type = "c";
    null2.major = 1;
    null2.minor = 3;
    null2.file_mode = 0600;
    s.linux->devices = {fuse, sda, fifo, null2};
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    REQUIRE(plan->devices.size() == 9);
    CHECK(plan->devices[0].mode == (S_IFCHR | 0600)); // replaced in place
    CHECK(plan->devices[6].path == "/dev/fuse");
    CHECK(plan->devices[6].mode == (S_IFCHR | 0666));
    CHECK(plan->devices[6].dev == makedev(10, 229));
    CHECK(plan->devices[7].mode == (S_IFBLK | 0600));
    CHECK(plan->devices[7].uid == 1000);
    CHECK(plan->devices[7].gid == 6);
    CHECK(plan->devices[8].mode == (S_IFIFO | 0666));
    CHECK(plan->devices[8].dev == 0);

    for (const char* bad : {"/etc/passwd", "/dev", "dev/x", "/dev/../etc/x"}) {
        spec::Device d = fuse;
        d.path = bad;
        s.linux->devices = {d};
        CHECK_FALSE(plan_rootfs(s, b.dir.string(), false).ok());
    }
    spec::Device d = fuse;
    d.type = "x";
    s.linux->devices = {d};
    CHECK_FALSE(plan_rootfs(s, b.dir.string(), false).ok());
    d = fuse;
    d.major = -1;
    s.linux->devices = {d};
    CHECK_FALSE(plan_rootfs(s, b.dir.string(), false).ok());
}

TEST_CASE("plan: sysctls, masked and readonly paths") {
    Bundle b;
    auto s = base_spec();
    s.linux->sysctl = {{"net.ipv4.ip_forward", "1"}, {"kernel.shm_rmid_forced", "1"}};
    s.linux->masked_paths = {"/proc/kcore", "/sys/firmware"};
    s.linux->readonly_paths = {"/proc/sys", "/proc//bus/"};
    auto plan = plan_rootfs(s, b.dir.string(), false);
    REQUIRE(plan.ok());
    REQUIRE(plan->sysctls.size() == 2);
    CHECK(plan->sysctls[0].key == "kernel.shm_rmid_forced"); // map order
    CHECK(plan->sysctls[0].path == "sys/kernel/shm_rmid_forced");
    CHECK(plan->sysctls[1].path == "sys/net/ipv4/ip_forward");
    CHECK(plan->sysctls[1].value == "1");
    CHECK(plan->masked_paths == std::vector<std::string>{"/proc/kcore", "/sys/firmware"});
    CHECK(plan->readonly_paths == std::vector<std::string>{"/proc/sys", "/proc/bus"});

    for (const char* bad : {"net/ipv4/ip_forward", "net...x", "..", "net.", ".net", ""}) {
        s.linux->sysctl = {{bad, "1"}};
        CHECK_MESSAGE(!plan_rootfs(s, b.dir.string(), false).ok(), bad);
    }
}
