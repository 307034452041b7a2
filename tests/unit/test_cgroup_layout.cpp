#include <doctest/doctest.h>

#include "cgroups/layout.hpp"

using namespace corral;

namespace {

// This host's /proc/self/mountinfo, cgroup lines (plus neighbours that must be ignored).
const char* kHybrid =
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "41 30 0:38 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
    "99 22 0:31 / /mnt/elsewhere rw,relatime - cgroup cgroup rw,memory\n";

} // namespace

TEST_CASE("cgroup layout: a hybrid host's v1 hierarchies and its unified mount") {
    auto l = cgroups::parse_layout(kHybrid);
    CHECK(l.mode == cgroups::Mode::Hybrid);
    CHECK(l.unified_mount == "/sys/fs/cgroup/unified");
    REQUIRE(l.v1.size() == 5);
    CHECK(l.v1[0].key == "cpu");
    CHECK(l.v1[3].key == "name=systemd"); // xattr is an option, not a controller
    CHECK(l.v1[4].key == "net_cls,net_prio");
    REQUIRE(l.find("net_prio") != nullptr);
    CHECK(l.find("net_prio")->mount == "/sys/fs/cgroup/net_cls,net_prio");
    CHECK(l.find("memory")->mount == "/sys/fs/cgroup/memory"); // not the bind elsewhere
    CHECK(l.find("hugetlb") == nullptr);
}

TEST_CASE("cgroup layout: pure v2, legacy, none") {
    auto v2 = cgroups::parse_layout("30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    CHECK(v2.mode == cgroups::Mode::Unified);
    CHECK(v2.unified_mount == "/sys/fs/cgroup");
    CHECK(v2.v1.empty());
    auto legacy =
        cgroups::parse_layout("34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
    CHECK(legacy.mode == cgroups::Mode::Legacy);
    CHECK(legacy.unified_mount.empty());
    CHECK(cgroups::parse_layout("").mode == cgroups::Mode::None);
    // A mount point with a space is escaped in mountinfo.
    auto odd = cgroups::parse_layout(
        "34 30 0:31 /sub /sys/fs/cgroup/my\\040mem rw - cgroup cgroup rw,memory\n");
    REQUIRE(odd.v1.size() == 1);
    CHECK(odd.v1[0].mount == "/sys/fs/cgroup/my mem");
    CHECK(odd.v1[0].root == "/sub");
}

TEST_CASE("cgroup layout: /proc/self/cgroup by hierarchy key") {
    auto g = cgroups::parse_proc_cgroup("9:name=systemd:/\n4:memory:/process_api/abc\n"
                                        "1:cpu,cpuacct:/x\n0::/corral/c1\n");
    CHECK(g["name=systemd"] == "/");
    CHECK(g["memory"] == "/process_api/abc");
    CHECK(g["cpu,cpuacct"] == "/x");
    CHECK(g[""] == "/corral/c1");
}
