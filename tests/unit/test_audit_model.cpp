#include <doctest/doctest.h>

#include <string>

#include "audit/facts.hpp"
#include "audit/policy.hpp"
#include "audit/report.hpp"

using namespace corral;
using namespace corral::audit;

TEST_CASE("audit facts: /proc/PID/status fields") {
    auto s = parse_status("Name:\tsh\nState:\tS (sleeping)\nUid:\t1000\t1001\t1002\t1003\n"
                          "Gid:\t5\t6\t7\t8\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
                          "CapEff:\t00000000a80425fb\nCapBnd:\t000001ffffffffff\n"
                          "CapAmb:\t0000000000000400\nNoNewPrivs:\t1\nSeccomp:\t2\n"
                          "Seccomp_filters:\t3\n");
    CHECK(s.euid == 1001);
    CHECK(s.egid == 6);
    CHECK(s.cap_prm == 0xa80425fbULL);
    CHECK(s.cap_bnd == 0x1ffffffffffULL);
    CHECK(s.cap_amb == 0x400);
    CHECK(s.no_new_privs == 1);
    CHECK(s.seccomp == 2);
    CHECK(s.seccomp_filters == 3);
    CHECK(s.state == "S (sleeping)");
    auto empty = parse_status("");
    CHECK(empty.seccomp == -1);
}

TEST_CASE("audit facts: mountinfo with optional fields and escapes") {
    auto m = parse_mountinfo(
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n"
        "40 22 0:5 /tmp/my\\040dir /mnt/a\\040b ro,nosuid master:3 shared:7 - tmpfs tmp\\011x rw\n"
        "41 22 0:6 / /proc rw - proc proc rw\n"
        "garbage line\n");
    REQUIRE(m.size() == 3);
    CHECK(m[0].peer_group() == "1");
    CHECK(m[0].has_option("rw"));
    CHECK_FALSE(m[0].has_option("r"));
    CHECK(m[1].root == "/tmp/my dir");
    CHECK(m[1].point == "/mnt/a b");
    CHECK(m[1].source == "tmp\tx");
    CHECK(m[1].optional.size() == 2);
    CHECK(m[1].peer_group() == "7");
    CHECK(m[1].has_option("ro"));
    CHECK(m[1].major == 0);
    CHECK(m[1].minor == 5);
    CHECK(m[2].fstype == "proc");
    CHECK(m[2].peer_group().empty());
}

TEST_CASE("audit facts: limits and id maps") {
    auto l = parse_limits(
        "Limit                     Soft Limit           Hard Limit           Units\n"
        "Max cpu time              unlimited            unlimited            seconds\n"
        "Max open files            1024                 4096                 files\n"
        "Max processes             63412                63412                processes\n");
    CHECK(l["RLIMIT_NOFILE"].soft == "1024");
    CHECK(l["RLIMIT_NOFILE"].hard == "4096");
    CHECK(l["RLIMIT_CPU"].soft == "unlimited");
    CHECK(l["RLIMIT_NPROC"].hard == "63412");
    CHECK_FALSE(l.count("RLIMIT_AS"));
    CHECK(normalise_map("         0     100000      65536\n  1 2 3\n\n") ==
          "0 100000 65536\n1 2 3\n");
}

TEST_CASE("audit report: summary, blocking level and result") {
    Report r;
    r.add({"a", "misc", Kind::Conformance, Level::Error}, true);
    r.add({"b", "misc", Kind::Hardening, Level::Warning}, false);
    r.add({"c", "misc", Kind::Hardening, Level::Info}, false);
    r.skip({"d", "misc", Kind::Conformance, Level::Error}, "not here");
    CHECK(r.blocking(Level::Error) == 0);
    CHECK(r.blocking(Level::Warning) == 1);
    CHECK(r.blocking(Level::Info) == 2);
    Target t;
    t.pid = 7;
    auto j = r.to_json(t, "baseline", "preset", Level::Warning);
    CHECK(j["result"] == "fail");
    CHECK(j["summary"]["total"] == 4);
    CHECK(j["summary"]["passed"] == 1);
    CHECK(j["summary"]["failed"] == 2);
    CHECK(j["summary"]["skipped"] == 1);
    CHECK(j["summary"]["failedBlocking"] == 1);
    CHECK(j["summary"]["failedByLevel"]["warning"] == 1);
    CHECK(j["target"]["id"].is_null());
    CHECK(j["target"]["config"] == false);
    CHECK(j["checks"][3]["status"] == "skip");
    CHECK(r.to_json(t, "p", "preset", Level::Error)["result"] == "pass");
    CHECK(parse_level("warning").ok());
    CHECK_FALSE(parse_level("fatal").ok());
}

TEST_CASE("audit policy: presets, extends, prefixes and the longest match") {
    auto base = preset("baseline");
    REQUIRE(base.ok());
    CHECK(base->name == "baseline");
    CHECK(base->source == "preset");
    auto restricted = preset("restricted");
    REQUIRE(restricted.ok());
    Report r;
    r.add({"hardening.no-new-privs", "credentials", Kind::Hardening, Level::Info}, false);
    r.add({"hardening.limits.memory", "cgroups", Kind::Hardening, Level::Info}, false);
    r.add({"hardening.host-namespace.net", "namespaces", Kind::Hardening, Level::Info}, false);
    restricted->apply(r);
    CHECK(r.checks()[0].level == Level::Error);   // restricted's own rule
    CHECK(r.checks()[1].level == Level::Warning); // its "hardening.limits" prefix
    CHECK(r.checks()[2].level == Level::Error);   // inherited from baseline
    CHECK_FALSE(preset("strict").ok());

    auto p = parse_policy(R"({"name":"mine","extends":"restricted","checks":{
        "hardening.limits":{"enabled":false},
        "hardening.limits.pids":{"enabled":true,"level":"info"}}})",
                          "policy f");
    REQUIRE(p.ok());
    Report r2;
    r2.add({"hardening.limits.memory", "cgroups", Kind::Hardening, Level::Error}, false);
    r2.add({"hardening.limits.pids", "cgroups", Kind::Hardening, Level::Error}, false);
    r2.add({"hardening.limitsx", "cgroups", Kind::Hardening, Level::Error}, false);
    p->apply(r2);
    REQUIRE(r2.checks().size() == 2);
    CHECK(r2.checks()[0].id == "hardening.limits.pids");
    CHECK(r2.checks()[0].level == Level::Info);
    CHECK(r2.checks()[1].id == "hardening.limitsx"); // a prefix matches whole components only
}

TEST_CASE("audit policy: errors name the file and the key") {
    auto check_err = [](const std::string& text, const std::string& want) {
        auto p = parse_policy(text, "policy f.json");
        REQUIRE_FALSE(p.ok());
        CHECK_MESSAGE(p.error().message().find(want) != std::string::npos, p.error().message());
    };
    check_err("[", "policy f.json: not a JSON object");
    check_err(R"({"extends":"nope"})", "unknown preset");
    check_err(R"({"checks":{"x":{"level":"fatal"}}})", "checks.x: level");
    check_err(R"({"checks":{"x":{"enabled":"no"}}})", "checks.x: enabled");
    check_err(R"({"checks":{"x":{"severity":"info"}}})", "unknown key \"severity\"");
    check_err(R"({"rules":{}})", "unknown key \"rules\"");
    check_err(R"({"checks":[]})", "checks: expected an object");
}
