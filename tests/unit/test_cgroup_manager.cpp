#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cgroups/manager_impl.hpp"

using namespace corral;

TEST_CASE("cgroup manager: a controller the hierarchy does not offer is refused by name") {
    char tmpl[] = "/tmp/corral-cgmgr-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    std::string mount = tmpl;
    // A hierarchy like this host's hybrid unified one: hugetlb only.
    std::ofstream(mount + "/cgroup.controllers") << "hugetlb\n";
    spec::Resources r;
    r.memory.emplace().limit = 1 << 20;
    auto m = cgroups::make_unified(mount, "/corral/c1", r);
    auto made = m->create();
    REQUIRE_FALSE(made.ok());
    CHECK(made.error().message() == "linux.resources: cgroup controller \"memory\" is not "
                                    "available in " +
                                        mount + " (it offers: hugetlb)");
    // Refused before anything was made.
    CHECK_FALSE(std::filesystem::exists(mount + "/corral"));
    std::filesystem::remove_all(mount);
}
