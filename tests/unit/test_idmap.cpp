#include <doctest/doctest.h>

#include <sched.h>

#include "ns/idmap.hpp"
#include "ns/namespaces.hpp"

using namespace corral;

TEST_CASE("idmap: the text written to uid_map, one range per line") {
    CHECK(ns::id_map_text({{0, 100000, 65536}, {65536, 1000, 1}}) ==
          "0 100000 65536\n65536 1000 1\n");
    CHECK(ns::id_map_text({}).empty());
}

TEST_CASE("plan: joins happen before the clone whenever a user namespace is involved") {
    auto plan_for = [](std::vector<spec::Namespace> nss) {
        spec::Spec s;
        s.linux.emplace();
        s.linux->namespaces = std::move(nss);
        auto p = ns::plan_namespaces(s);
        REQUIRE(p.ok());
        return p->needs_intermediate;
    };
    CHECK_FALSE(plan_for({{"user", ""}, {"mount", ""}, {"network", ""}}));
    CHECK(plan_for({{"user", ""}, {"mount", ""}, {"network", "/proc/1/ns/net"}}));
    CHECK(plan_for({{"user", "/proc/1/ns/user"}, {"mount", ""}}));
    CHECK_FALSE(plan_for({{"user", "/proc/1/ns/user"}, {"mount", "/proc/1/ns/mnt"}}));
}
