#include <doctest/doctest.h>

#include <sys/mount.h>

#include "cgroups/layout.hpp"
#include "ns/cgroup_view.hpp"

using namespace corral;

namespace {

const char* kHybrid =
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";

ns::RootfsPlan plan_with_cgroup_mount(bool view) {
    ns::RootfsPlan plan;
    ns::MountPlan m;
    m.destination = "/sys/fs/cgroup";
    m.fstype = "cgroup2";
    m.source = "cgroup";
    m.flags = MS_RDONLY | MS_NOSUID;
    m.cgroup_view = view;
    plan.mounts.push_back(m);
    return plan;
}

} // namespace

TEST_CASE("cgroup view: a hybrid host gets a tmpfs with the container's group of each hierarchy") {
    auto plan = plan_with_cgroup_mount(true);
    std::map<std::string, std::string> container = {
        {"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/pod/c1"},
        {"memory", "/sys/fs/cgroup/memory/pod/c1"},
        {"unified", "/sys/fs/cgroup/unified/pod/c1"}};
    // name=systemd has no container group: the one corral runs in is shown.
    std::map<std::string, std::string> own = {{"name=systemd", "/user/1"}, {"", "/"}};
    ns::plan_cgroup_view(plan, cgroups::parse_layout(kHybrid), container, own);
    const auto& m = plan.mounts[0];
    CHECK(m.fstype == "tmpfs");
    CHECK(m.flags == (MS_RDONLY | MS_NOSUID)); // the binds and, last, the tmpfs take them
    REQUIRE(m.cgroup_v1.size() == 4);
    CHECK(m.cgroup_v1[0].source == "/sys/fs/cgroup/cpu,cpuacct/pod/c1");
    CHECK(m.cgroup_v1[0].name == "cpu,cpuacct");
    CHECK(m.cgroup_v1[0].links == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK(m.cgroup_v1[1].name == "memory");
    CHECK(m.cgroup_v1[1].links.empty());
    CHECK(m.cgroup_v1[2].name == "systemd");
    CHECK(m.cgroup_v1[2].source == "/sys/fs/cgroup/systemd/user/1");
    CHECK(m.cgroup_v1[2].links.empty()); // "name=systemd" is not a link name
    CHECK(m.cgroup_v1[3].name == "unified");
    CHECK(m.cgroup_v1[3].source == "/sys/fs/cgroup/unified/pod/c1");
}

TEST_CASE(
    "cgroup view: without container groups, the inherited ones; a hierarchy root is honoured") {
    auto plan = plan_with_cgroup_mount(true);
    auto layout = cgroups::parse_layout(
        "34 30 0:31 /outer /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
    ns::plan_cgroup_view(plan, layout, {}, {{"memory", "/outer/inner"}});
    REQUIRE(plan.mounts[0].cgroup_v1.size() == 1);
    CHECK(plan.mounts[0].cgroup_v1[0].source == "/sys/fs/cgroup/memory/inner");
    // A group outside what the host mounted cannot be shown below it.
    auto other = plan_with_cgroup_mount(true);
    ns::plan_cgroup_view(other, layout, {}, {{"memory", "/elsewhere"}});
    CHECK(other.mounts[0].cgroup_v1[0].source == "/sys/fs/cgroup/memory");
}

TEST_CASE("cgroup view: unified hosts and explicit cgroup2 mounts keep cgroup2") {
    auto plan = plan_with_cgroup_mount(true);
    ns::plan_cgroup_view(
        plan, cgroups::parse_layout("30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"), {},
        {});
    CHECK(plan.mounts[0].fstype == "cgroup2");
    CHECK(plan.mounts[0].cgroup_v1.empty());
    auto explicit_v2 = plan_with_cgroup_mount(false);
    ns::plan_cgroup_view(explicit_v2, cgroups::parse_layout(kHybrid), {}, {});
    CHECK(explicit_v2.mounts[0].fstype == "cgroup2");
    CHECK(explicit_v2.mounts[0].cgroup_v1.empty());
}
