#include <doctest/doctest.h>

#include <map>
#include <string>

#include "runtime/exec_cgroup.hpp"

using corral::runtime::exec_cgroup_paths;

namespace {

const std::map<std::string, std::string> kHybrid = {
    {"unified", "/sys/fs/cgroup/unified/corral/c1"},
    {"memory", "/sys/fs/cgroup/memory/corral/c1"},
    {"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/corral/c1"},
    {"pids", "/sys/fs/cgroup/pids/corral/c1"}};

std::string error_of(const std::vector<std::string>& requests,
                     const std::map<std::string, std::string>& groups = kHybrid) {
    auto r = exec_cgroup_paths(groups, requests);
    REQUIRE_FALSE(r.ok());
    return r.error().message();
}

} // namespace

TEST_CASE("exec --cgroup: none keeps the container's groups") {
    auto r = exec_cgroup_paths(kHybrid, {});
    REQUIRE(r.ok());
    CHECK(*r == kHybrid);
}

TEST_CASE("exec --cgroup: a bare path goes below the container's group in every hierarchy") {
    auto r = exec_cgroup_paths(kHybrid, {"/sub/leaf/"});
    REQUIRE(r.ok());
    for (const auto& [key, dir] : *r)
        CHECK(dir == kHybrid.at(key) + "/sub/leaf");
}

TEST_CASE("exec --cgroup: controllers pick their hierarchies, the bare path the rest") {
    auto r = exec_cgroup_paths(kHybrid, {"memory,cpuacct:m", "rest"});
    REQUIRE(r.ok());
    CHECK(r->at("memory") == kHybrid.at("memory") + "/m");
    CHECK(r->at("cpu,cpuacct") == kHybrid.at("cpu,cpuacct") + "/m");
    CHECK(r->at("pids") == kHybrid.at("pids") + "/rest");
    CHECK(r->at("unified") == kHybrid.at("unified") + "/rest");
    // Without a bare path the other hierarchies keep the container's group.
    r = exec_cgroup_paths(kHybrid, {"pids:p"});
    REQUIRE(r.ok());
    CHECK(r->at("pids") == kHybrid.at("pids") + "/p");
    CHECK(r->at("memory") == kHybrid.at("memory"));
}

TEST_CASE("exec --cgroup: paths that leave the group, empty ones and unknown controllers") {
    CHECK(error_of({".."}).find("must stay below the container's group") != std::string::npos);
    CHECK(error_of({"a/../../b"}).find("must stay below") != std::string::npos);
    CHECK(error_of({"memory:./x"}).find("must stay below") != std::string::npos);
    CHECK(error_of({"a//b"}).find("must stay below") != std::string::npos);
    CHECK(error_of({"memory:"}).find("no group path") != std::string::npos);
    CHECK(error_of({"/"}).find("no group path") != std::string::npos);
    CHECK(error_of({"blkio:x"}).find("no group with controller \"blkio\"") != std::string::npos);
    CHECK(error_of({"x"}, {}).find("has no cgroups") != std::string::npos);
}
