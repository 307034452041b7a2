#include <doctest/doctest.h>

#include "device_rule_util.hpp"

#include <algorithm>

#include "cgroups/device_rules.hpp"
#include "cgroups/devices_v1.hpp"

using namespace corral;
using cgroups::DeviceAccessRule;
using test::rule;

namespace {

const spec::DeviceRule kDenyAll = rule(false, "", std::nullopt, std::nullopt, "rwm");

std::vector<std::string> rendered(const std::vector<DeviceAccessRule>& rules) {
    std::vector<std::string> out;
    for (const auto& r : rules)
        out.push_back((r.allow ? "allow " : "deny ") + cgroups::to_string(r));
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

} // namespace

TEST_CASE("devices v1: lines are the folded list, deny-all restarting from the defaults") {
    std::vector<spec::DeviceRule> rules = {
        kDenyAll,
        rule(true, "c", 10, std::nullopt, "rw"),
        // Only "b *:* m" (a default) holds b 8:0 m: left, as the kernel does.
        rule(false, "b", 8, 0, "m"),
    };
    auto lines = cgroups::device_rule_lines(rules);
    REQUIRE(lines.ok());
    REQUIRE(lines->size() == 13); // a, 11 defaults, c 10:*
    CHECK_FALSE((*lines)[0].allow);
    CHECK((*lines)[0].rule == "a");
    CHECK(lines->back().rule == "c 10:* rw");
    CHECK(lines->back().allow);
    size_t resets = 0;
    bool null_allowed = false;
    for (const auto& l : *lines) {
        if (l.rule == "a") ++resets;
        if (l.allow && l.rule == "c 1:3 rwm") null_allowed = true;
        if (l.rule != "a") CHECK(l.allow);
    }
    CHECK(resets == 1);
    CHECK(null_allowed);
    rules[1].type = "x";
    CHECK_FALSE(cgroups::device_rule_lines(rules).ok());
    rules[1].type = "c";
    rules[1].access = "rwx";
    CHECK_FALSE(cgroups::device_rule_lines(rules).ok());
}

TEST_CASE("devices rules: no config rules leave deny-all and the defaults") {
    auto r = cgroups::effective_device_rules({});
    REQUIRE(r.ok());
    auto s = rendered(*r);
    REQUIRE(s.size() == 12);
    CHECK(s[0] == "deny a *:* rwm");
    CHECK(s[1] == "allow c *:* m");
    CHECK(s[2] == "allow b *:* m");
    CHECK(has(s, "allow c 1:3 rwm"));
    CHECK(has(s, "allow c 136:* rwm"));
    CHECK(cgroups::is_whole_wildcard((*r)[0]));
    CHECK((*r)[4] == DeviceAccessRule{true, 'c', 1, 5, cgroups::kDeviceAllAccess});
    // A config starting with deny-all, as nearly all do, changes nothing.
    auto again = cgroups::effective_device_rules({kDenyAll});
    REQUIRE(again.ok());
    CHECK(*again == *r);
}

TEST_CASE("devices rules: later rules on the same device merge and take access away") {
    auto r = cgroups::effective_device_rules({
        kDenyAll,
        rule(true, "c", 10, 200, "r"),
        rule(true, "c", 10, 200, "w"),
        rule(true, "b", 8, std::nullopt, "rwm"),
        rule(false, "b", 8, std::nullopt, "w"),
        rule(false, "c", 1, 5, ""), // empty access = rwm: /dev/zero goes
        rule(true, "c", 4, -1, "rw"),
    });
    REQUIRE(r.ok());
    auto s = rendered(*r);
    CHECK(s.size() == 14);
    CHECK(has(s, "allow c 10:200 rw"));
    CHECK(has(s, "allow b 8:* rm"));
    CHECK_FALSE(has(s, "allow c 1:5 rwm"));
    CHECK(s.back() == "allow c 4:* rw"); // a negative number means any
}

TEST_CASE("devices rules: deny-all in the middle resets, allow-all switches the default") {
    auto r = cgroups::effective_device_rules({
        rule(true, "c", 10, 200, "rwm"),
        kDenyAll,
        rule(true, "c", 4, std::nullopt, "r"),
    });
    REQUIRE(r.ok());
    auto s = rendered(*r);
    CHECK(s.size() == 13);
    CHECK_FALSE(has(s, "allow c 10:200 rwm"));
    CHECK(s.back() == "allow c 4:* r");

    r = cgroups::effective_device_rules({
        rule(true, "a", std::nullopt, std::nullopt, "rwm"), rule(false, "c", 1, 3, "w"),
        rule(false, "c", 1, 3, "r"), rule(false, "b", std::nullopt, std::nullopt, "m"),
        rule(true, "b", std::nullopt, std::nullopt, "m"), // takes it back out
    });
    REQUIRE(r.ok());
    CHECK(rendered(*r) == std::vector<std::string>{"allow a *:* rwm", "deny c 1:3 rw"});
}

TEST_CASE("devices rules: type a with numbers or some access stands for c and b") {
    auto r = cgroups::effective_device_rules({kDenyAll, rule(true, "a", 7, std::nullopt, "r"),
                                              rule(false, "", std::nullopt, std::nullopt, "m")});
    REQUIRE(r.ok());
    auto s = rendered(*r);
    CHECK(has(s, "allow c 7:* r"));
    CHECK(has(s, "allow b 7:* r"));
    // deny "a *:* m" took the default mknod wildcards away, nothing else.
    CHECK_FALSE(has(s, "allow c *:* m"));
    CHECK_FALSE(has(s, "allow b *:* m"));
    CHECK(has(s, "allow c 1:3 rwm"));
}

TEST_CASE("devices rules: a hole in a config wildcard is refused, in a default one left") {
    auto hole = cgroups::effective_device_rules(
        {kDenyAll, rule(true, "c", 10, std::nullopt, "rwm"), rule(false, "c", 10, 200, "w")});
    REQUIRE_FALSE(hole.ok());
    CHECK(hole.error().message() == "linux.resources.devices[2]: cannot deny c 10:200 w: an "
                                    "earlier rule allows c 10:* rwm and a wildcard rule cannot "
                                    "have holes");
    // Bits the wildcard does not hold are fine.
    CHECK(cgroups::effective_device_rules(
              {kDenyAll, rule(true, "c", 10, std::nullopt, "r"), rule(false, "c", 10, 200, "w")})
              .ok());
    // Same with an allow inside a denied wildcard.
    CHECK_FALSE(cgroups::effective_device_rules({rule(true, "", std::nullopt, std::nullopt, ""),
                                                 rule(false, "c", std::nullopt, 3, "rwm"),
                                                 rule(true, "c", 1, 3, "r")})
                    .ok());
    // pts 2 stays inside the default c 136:* rwm (runc adds its defaults last
    // and ends up the same).
    auto pts = cgroups::effective_device_rules({kDenyAll, rule(false, "c", 136, 2, "rwm")});
    REQUIRE(pts.ok());
    CHECK(has(rendered(*pts), "allow c 136:* rwm"));
}

TEST_CASE("devices rules: bad types, access and numbers name the rule") {
    auto bad = [](spec::DeviceRule r) {
        auto res = cgroups::effective_device_rules({kDenyAll, r});
        REQUIRE_FALSE(res.ok());
        return res.error().message();
    };
    CHECK(bad(rule(true, "p", 1, 1, "r")) ==
          "linux.resources.devices[1]: unknown device type \"p\"");
    CHECK(bad(rule(true, "c", 1, 1, "rx")) == "linux.resources.devices[1]: bad access \"rx\"");
    CHECK(bad(rule(true, "c", int64_t{1} << 32, 1, "r")) ==
          "linux.resources.devices[1]: major 4294967296 out of range");
    CHECK(bad(rule(true, "c", 1, int64_t{1} << 40, "r")).find("minor") != std::string::npos);
}
