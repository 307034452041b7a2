#include <doctest/doctest.h>

#include <linux/sched.h>
#include <sched.h>
#include <sys/resource.h>

#include "cgroups/manager.hpp"
#include "ns/namespaces.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/process.hpp"

using namespace corral;

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

TEST_CASE("namespaces: new ones become clone flags, joined ones are ordered user first") {
    spec::Spec s;
    s.linux.emplace();
    s.linux->namespaces = {{"mount", "/proc/1/ns/mnt"},
                           {"pid", ""},
                           {"network", "/x/net"},
                           {"user", "/x/user"},
                           {"uts", ""}};
    auto p = ns::plan_namespaces(s);
    REQUIRE(p.ok());
    CHECK(p->clone_flags == (CLONE_NEWPID | CLONE_NEWUTS));
    REQUIRE(p->joins.size() == 3);
    CHECK(p->joins[0].type == "user");
    CHECK(p->joins[1].type == "network");
    CHECK(p->joins[2].type == "mount");
    CHECK(p->joins_mount);
    // The new pid and uts namespaces must belong to the joined user namespace.
    CHECK(p->needs_intermediate);
}

TEST_CASE("namespaces: joined pid and new time namespaces need the intermediate") {
    spec::Spec s;
    s.linux.emplace();
    s.linux->namespaces = {{"pid", "/proc/1/ns/pid"}};
    CHECK(ns::plan_namespaces(s)->needs_intermediate);
    s.linux->namespaces = {{"time", ""}};
    auto p = ns::plan_namespaces(s);
    CHECK(p->needs_intermediate);
    CHECK(p->new_time_with_offsets);
    CHECK((p->clone_flags & CLONE_NEWTIME) == 0);
    s.linux->namespaces = {{"bogus", ""}};
    CHECK_FALSE(ns::plan_namespaces(s).ok());
}

TEST_CASE("namespaces: a missing join path fails before any clone") {
    spec::Spec s;
    s.linux.emplace();
    s.linux->namespaces = {{"network", "/nonexistent/ns/net"}};
    auto p = ns::plan_namespaces(s);
    REQUIRE(p.ok());
    auto r = ns::open_join_fds(*p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() ==
          "open network namespace /nonexistent/ns/net: no such file or directory");
}

TEST_CASE("cgroups: group paths resolve as the spec says") {
    CHECK(*cgroups::resolve_group_path("", "c1", "/") == "/corral/c1");
    CHECK(*cgroups::resolve_group_path("/a/b", "c1", "/me") == "/a/b");
    CHECK(*cgroups::resolve_group_path("a/b", "c1", "/me") == "/me/a/b");
    CHECK(*cgroups::resolve_group_path("a//./b/", "c1", "/") == "/a/b");
    CHECK_FALSE(cgroups::resolve_group_path("/a/../b", "c1", "/").ok());
    CHECK_FALSE(cgroups::resolve_group_path("/", "c1", "/").ok());
}

TEST_CASE("cgroups: with the cgroup manager disabled, every limit but devices is refused") {
    spec::Spec s;
    s.linux.emplace();
    s.linux->resources.emplace();
    s.linux->resources->devices.push_back({});
    CHECK(cgroups::check_resources_supported(s, true).ok());
    s.linux->resources->memory.emplace();
    auto r = cgroups::check_resources_supported(s, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() ==
          "linux.resources.memory: resource limits need a cgroup, but the cgroup manager is "
          "disabled");
}

TEST_CASE("capabilities: names become masks, unknown names are errors") {
    spec::Capabilities c;
    c.bounding = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
    c.effective = {"CAP_KILL"};
    std::vector<std::string> skipped;
    auto m = runtime::plan_capabilities(c, &skipped);
    REQUIRE(m.ok());
    CHECK(m->bounding == ((1ULL << 5) | (1ULL << 10)));
    CHECK(m->effective == (1ULL << 5));
    CHECK(m->ambient == 0);
    CHECK(m->inheritable == 0);
    c.permitted = {"CAP_BOGUS!"};
    auto bad = runtime::plan_capabilities(c, &skipped);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message() ==
          "process.capabilities.permitted: unknown capability \"CAP_BOGUS!\"");
    c.permitted = {"CAP_FROM_THE_FUTURE"};
    skipped.clear();
    CHECK(runtime::plan_capabilities(c, &skipped).ok());
    CHECK(skipped == std::vector<std::string>{"CAP_FROM_THE_FUTURE"});
}

TEST_CASE("process plan: argv/env arrays, PATH, rlimits, scheduler, ioprio") {
    spec::Process p;
    p.args = {"sh", "-c", "true"};
    p.env = {"A=1", "PATH=/bin:/usr/bin"};
    p.cwd = "/work";
    p.rlimits = {{"RLIMIT_NOFILE", 100, 50}};
    p.io_priority = spec::IoPriority{"IOPRIO_CLASS_BE", 4};
    auto plan = runtime::plan_process(p, 2, nullptr);
    REQUIRE(plan.ok());
    CHECK(std::string(plan->argv.get()[2]) == "true");
    CHECK(plan->argv.get()[3] == nullptr);
    CHECK(plan->path_env == "/bin:/usr/bin");
    CHECK(plan->preserve_fds == 2);
    REQUIRE(plan->rlimits.size() == 1);
    CHECK(plan->rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(plan->rlimits[0].value.rlim_cur == 50);
    p.rlimits = {{"RLIMIT_BOGUS", 1, 1}};
    CHECK_FALSE(runtime::plan_process(p, 0, nullptr).ok());
    p.rlimits.clear();
    p.io_priority = spec::IoPriority{"IOPRIO_CLASS_XX", 1};
    CHECK_FALSE(runtime::plan_process(p, 0, nullptr).ok());
    p.io_priority.reset();
    p.scheduler = spec::Scheduler{"SCHED_NOPE", {}, {}, {}, {}, {}, {}};
    CHECK_FALSE(runtime::plan_process(p, 0, nullptr).ok());
}

TEST_CASE("process plan: an rlimit above the runtime's hard limit is a clear error") {
    rlimit cur{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &cur) == 0);
    if (cur.rlim_max == RLIM_INFINITY) return;
    spec::Process p;
    p.args = {"true"};
    p.rlimits = {{"RLIMIT_NOFILE", cur.rlim_max + 1, cur.rlim_max + 1}};
    auto r = runtime::plan_process(p, 0, nullptr);
    // With CAP_SYS_RESOURCE the kernel allows it; without (this host) it is refused.
    if (!r.ok()) CHECK(r.error().message().find("process.rlimits: RLIMIT_NOFILE:") == 0);
}

TEST_CASE("capabilities: ambient caps need permitted and inheritable, else are skipped") {
    spec::Capabilities c;
    c.permitted = {"CAP_KILL", "CAP_CHOWN"};
    c.inheritable = {"CAP_KILL"};
    c.ambient = {"CAP_KILL", "CAP_CHOWN"};
    auto m = runtime::plan_capabilities(c, nullptr);
    REQUIRE(m.ok());
    CHECK(m->ambient == (1ULL << 5));
    CHECK(m->dropped_ambient == (1ULL << 0));
}
