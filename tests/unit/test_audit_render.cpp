#include <doctest/doctest.h>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "audit/render.hpp"

using namespace corral::audit;
using nlohmann::json;

namespace {

json check(const char* id, const char* category, const char* kind, const char* level,
           const char* status, std::string expected, std::string observed,
           std::string explanation) {
    return {{"id", id},
            {"category", category},
            {"kind", kind},
            {"level", level},
            {"status", status},
            {"expected", expected},
            {"observed", observed},
            {"explanation", explanation}};
}

// Out of category order on purpose, with strings a container can choose: markup, quotes,
// a terminal escape, newlines, a control character, non-ASCII text and a repeated id.
json sample() {
    json checks = json::array({
        check("misc.hostname", "misc", "conformance", "info", "fail", "ctr",
              "evil\x1b[31mred\nline2", "non-ASCII: żółć 日本"),
        check("namespaces.net.isolated", "namespaces", "conformance", "error", "fail",
              "own network namespace", "<tag> & \"quoted\" 'apos'",
              "the container sees the host's interfaces"),
        check("namespaces.pid.isolated", "namespaces", "conformance", "error", "pass",
              "own pid namespace", "pid:[4026532001]", "the container sees host processes"),
        check("cgroups.memory.limit", "cgroups", "conformance", "warning", "skip", "", "",
              "the kernel does not expose memory.max & co"),
        check("user.uid.nonroot", "user", "hardening", "warning", "fail", "uid != 0",
              std::string("uid 0\x01"), "root in the container"),
        check("filesystem.readonly", "filesystem", "hardening", "error", "fail", "read-only",
              "/proc/sys rw", "writable kernel tunables"),
        check("filesystem.readonly", "filesystem", "hardening", "error", "fail", "read-only",
              "/sys rw", "writable kernel tunables"),
    });
    json report = {
        {"version", 1},
        {"tool", {{"name", "corral"}, {"version", "0.1.0"}}},
        {"target", {{"id", "c1"}, {"pid", 1234}, {"bundle", "/b/c1"}, {"config", true}}},
        {"policy", {{"name", "baseline"}, {"source", "preset"}}},
        {"failOn", "warning"},
        {"checks", checks},
    };
    report["summary"] = summarize(checks, "warning");
    report["result"] = "fail";
    return report;
}

json pid_only() {
    json r = sample();
    r["target"] = {{"id", nullptr}, {"pid", 42}, {"bundle", nullptr}, {"config", false}};
    return r;
}

size_t count(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1))
        ++n;
    return n;
}

} // namespace

TEST_CASE("audit render: parse_format accepts the four names and names a bad one") {
    CHECK(*parse_format("table") == Format::Table);
    CHECK(*parse_format("json") == Format::Json);
    CHECK(*parse_format("sarif") == Format::Sarif);
    CHECK(*parse_format("junit") == Format::Junit);
    auto bad = parse_format("xml");
    REQUIRE(!bad.ok());
    CHECK(bad.error().message() == "--format: \"xml\" is not one of table, json, sarif, junit");
    CHECK(!parse_format("JSON").ok());
    CHECK(!parse_format("").ok());
}

TEST_CASE("audit render: summarize counts by status and blocks at or above failOn") {
    json checks = sample()["checks"];
    json s = summarize(checks, "warning");
    CHECK(s["total"] == 7);
    CHECK(s["passed"] == 1);
    CHECK(s["failed"] == 5);
    CHECK(s["skipped"] == 1);
    CHECK(s["failedBlocking"] == 4);
    CHECK(s["failedByLevel"] == json{{"error", 3}, {"warning", 1}, {"info", 1}});
    CHECK(summarize(checks, "error")["failedBlocking"] == 3);
    CHECK(summarize(checks, "info")["failedBlocking"] == 5);
    CHECK(summarize(checks, "bogus")["failedBlocking"] == 3);
    CHECK(summarize(json::array(), "error")["total"] == 0);
    CHECK(summarize(json("not an array"), "error")["failedBlocking"] == 0);
}

TEST_CASE("audit render: json is the report itself, pretty, and round-trips") {
    json report = sample();
    std::string out = render(report, Format::Json, false);
    REQUIRE(!out.empty());
    CHECK(out.back() == '\n');
    CHECK(out.rfind("{\n  \"", 0) == 0);
    CHECK(json::parse(out) == report);
    // Control characters are escaped by the JSON encoder, never written raw.
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find("\\u001b[31m") != std::string::npos);
    // Invalid UTF-8 (a byte from a container's hostname) must not throw.
    report["checks"][0]["observed"] = std::string("bad\xff");
    CHECK(json::parse(render(report, Format::Json, false))["checks"][0]["observed"] ==
          "bad\xef\xbf\xbd");
}

TEST_CASE("audit render: table groups by category in fixed order, ANSI only with color") {
    std::string plain = render(sample(), Format::Table, false);
    CHECK(plain.rfind("corral audit of container c1 (pid 1234), policy baseline (preset), "
                      "fail on warning\n",
                      0) == 0);
    size_t ns = plain.find("\nnamespaces\n"), user = plain.find("\nuser\n"),
           fs = plain.find("\nfilesystem\n"), cg = plain.find("\ncgroups\n"),
           misc = plain.find("\nmisc\n");
    REQUIRE(ns != std::string::npos);
    CHECK(ns < user);
    CHECK(user < fs);
    CHECK(fs < cg);
    CHECK(cg < misc);
    CHECK(misc != std::string::npos);
    CHECK(plain.find("\ncredentials\n") == std::string::npos); // no checks, no heading
    // Within a category the report's order is kept.
    CHECK(plain.find("namespaces.net.isolated") < plain.find("namespaces.pid.isolated"));

    CHECK(plain.find("  FAIL  error    namespaces.net.isolated\n"
                     "        expected own network namespace; observed <tag> & \"quoted\" "
                     "'apos': the container sees the host's interfaces\n") != std::string::npos);
    CHECK(plain.find("  PASS  error    namespaces.pid.isolated\n") != std::string::npos);
    CHECK(plain.find("  SKIP  warning  cgroups.memory.limit  (the kernel does not expose "
                     "memory.max & co)\n") != std::string::npos);
    CHECK(count(plain, "FAIL  error    filesystem.readonly") == 2);
    // The container's escape sequence and newline are shown, not obeyed.
    CHECK(plain.find('\x1b') == std::string::npos);
    CHECK(plain.find("observed evil\\x1b[31mred\\nline2: non-ASCII: żółć 日本") !=
          std::string::npos);
    CHECK(plain.find("uid 0\\x01") != std::string::npos);
    CHECK(plain.find("\n7 checks: 1 passed, 5 failed (4 at or above warning), 1 skipped: FAIL\n") !=
          std::string::npos);

    std::string color = render(sample(), Format::Table, true);
    CHECK(color.find("\x1b[31mFAIL\x1b[0m  error    namespaces.net.isolated") != std::string::npos);
    CHECK(color.find("\x1b[33mFAIL\x1b[0m  warning  user.uid.nonroot") != std::string::npos);
    CHECK(color.find("  FAIL  info     misc.hostname") != std::string::npos);
    CHECK(color.find("\x1b[32mPASS\x1b[0m") != std::string::npos);
    CHECK(color.find("\x1b[2m  SKIP  warning  cgroups.memory.limit") != std::string::npos);
    CHECK(color.find("skipped: \x1b[31mFAIL\x1b[0m\n") != std::string::npos);
    // The only escapes are ours: the container's ESC stays escaped.
    CHECK(color.find("evil\\x1b[31mred") != std::string::npos);

    std::string by_pid = render(pid_only(), Format::Table, false);
    CHECK(by_pid.rfind("corral audit of pid 42 (no config.json), policy baseline", 0) == 0);

    json clean = sample();
    clean["checks"] = json::array({clean["checks"][2]});
    CHECK(render(clean, Format::Table, false)
              .find("\n1 checks: 1 passed, 0 failed (0 at or above warning), 0 skipped: PASS\n") !=
          std::string::npos);
}

TEST_CASE("audit render: sarif 2.1.0 with one rule per id and results for failures only") {
    json report = sample();
    json s = json::parse(render(report, Format::Sarif, false));
    CHECK(s["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json");
    CHECK(s["version"] == "2.1.0");
    REQUIRE(s["runs"].size() == 1);
    const json& run = s["runs"][0];
    CHECK(run["tool"]["driver"]["name"] == "corral");
    CHECK(run["tool"]["driver"]["version"] == "0.1.0");
    CHECK(run["invocations"][0]["executionSuccessful"] == true);
    CHECK(run["properties"]["exitCode"] == 1);
    CHECK(run["properties"]["result"] == "fail");
    CHECK(run["properties"]["summary"] == report["summary"]);

    const json& rules = run["tool"]["driver"]["rules"];
    std::set<std::string> ids;
    for (const json& r : rules)
        ids.insert(r["id"].get<std::string>());
    CHECK(ids.size() == rules.size());
    CHECK(rules.size() == 6);
    auto rule = [&](const std::string& id) {
        for (const json& r : rules)
            if (r["id"] == id) return r;
        return json();
    };
    CHECK(rule("misc.hostname")["defaultConfiguration"]["level"] == "note");
    CHECK(rule("user.uid.nonroot")["defaultConfiguration"]["level"] == "warning");
    CHECK(rule("namespaces.pid.isolated")["defaultConfiguration"]["level"] == "error");
    CHECK(rule("namespaces.pid.isolated")["shortDescription"]["text"] ==
          "the container sees host processes");
    // A skip's explanation says why it did not run, not what the rule is about.
    CHECK(rule("cgroups.memory.limit")["shortDescription"]["text"] == "cgroups.memory.limit");

    const json& results = run["results"];
    CHECK(results.size() == report["summary"]["failed"].get<size_t>());
    for (const json& r : results) {
        CHECK(r["ruleId"] != "namespaces.pid.isolated");
        CHECK(rules[r["ruleIndex"].get<size_t>()]["id"] == r["ruleId"]);
        CHECK(r["locations"][0]["logicalLocations"][0]["name"] == "c1");
    }
    CHECK(results[0]["ruleId"] == "misc.hostname");
    CHECK(results[0]["level"] == "note");
    CHECK(results[0]["message"]["text"] ==
          "expected ctr; observed evil\x1b[31mred\nline2: non-ASCII: żółć 日本");
    CHECK(results[1]["level"] == "error");
    CHECK(results[1]["message"]["text"] == "expected own network namespace; observed <tag> & "
                                           "\"quoted\" 'apos': the container sees the host's "
                                           "interfaces");
    CHECK(results[2]["level"] == "warning");

    json by_pid = json::parse(render(pid_only(), Format::Sarif, false));
    CHECK(by_pid["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0]["name"] ==
          "pid 42");

    json passing = sample();
    passing["checks"] = json::array({passing["checks"][2]});
    json p = json::parse(render(passing, Format::Sarif, false));
    CHECK(p["runs"][0]["results"].empty());
    CHECK(p["runs"][0]["properties"]["exitCode"] == 0);
}

TEST_CASE("audit render: junit counts, one suite per category, escaping") {
    std::string x = render(sample(), Format::Junit, false);
    CHECK(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 0) == 0);
    CHECK(x.find("<testsuites name=\"corral audit c1\" tests=\"7\" failures=\"5\" errors=\"0\" "
                 "skipped=\"1\">") != std::string::npos);
    CHECK(count(x, "<testsuite ") == 5);
    CHECK(x.find("<testsuite name=\"corral audit c1: namespaces\" tests=\"2\" failures=\"1\" "
                 "errors=\"0\" skipped=\"0\">") != std::string::npos);
    CHECK(x.find("<testsuite name=\"corral audit c1: filesystem\" tests=\"2\" failures=\"2\" "
                 "errors=\"0\" skipped=\"0\">") != std::string::npos);
    CHECK(x.find("<testsuite name=\"corral audit c1: cgroups\" tests=\"1\" failures=\"0\" "
                 "errors=\"0\" skipped=\"1\">") != std::string::npos);
    CHECK(x.find("<testsuite name=\"corral audit c1: namespaces\"") <
          x.find("<testsuite name=\"corral audit c1: misc\""));
    CHECK(count(x, "<testcase ") == 7);
    CHECK(count(x, "<failure ") == 5);
    CHECK(count(x, "<skipped ") == 1);
    CHECK(x.find("<testcase classname=\"corral.audit.namespaces\" "
                 "name=\"namespaces.pid.isolated\"/>") != std::string::npos);

    // Attribute: quotes and markup escaped, the newline kept as a reference.
    CHECK(x.find("<failure message=\"expected own network namespace; observed &lt;tag&gt; &amp; "
                 "&quot;quoted&quot; &apos;apos&apos;: the container sees the host&apos;s "
                 "interfaces\" type=\"error\">") != std::string::npos);
    CHECK(x.find("message=\"expected ctr; observed evil\\x1b[31mred&#10;line2: non-ASCII: żółć "
                 "日本\" type=\"info\"") != std::string::npos);
    // Text: the newline is real, the control characters XML cannot hold are made visible.
    CHECK(x.find(">expected: ctr\nobserved: evil\\x1b[31mred\nline2\nnon-ASCII: żółć 日本"
                 "</failure>") != std::string::npos);
    CHECK(x.find("observed: uid 0\\x01\n") != std::string::npos);
    CHECK(x.find('\x1b') == std::string::npos);
    CHECK(x.find('\x01') == std::string::npos);
    CHECK(x.find("<skipped message=\"the kernel does not expose memory.max &amp; co\"/>") !=
          std::string::npos);
    CHECK(x.find("type=\"warning\"") != std::string::npos);

    json bad = sample();
    bad["checks"][1]["observed"] = std::string("x\xff\xc0\x80y\xef\xbf\xbe\x7f\xc2\x9b");
    std::string b = render(bad, Format::Junit, false);
    CHECK(b.find("observed: x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy\\ufffe\\x7f\\x9b\n") !=
          std::string::npos);

    std::string by_pid = render(pid_only(), Format::Junit, false);
    CHECK(by_pid.find("<testsuites name=\"corral audit pid 42\"") != std::string::npos);
}

TEST_CASE("audit render: a malformed report renders without throwing") {
    for (auto f : {Format::Table, Format::Json, Format::Sarif, Format::Junit}) {
        CHECK_NOTHROW((void)render(json::array(), f, true));
        CHECK_NOTHROW((void)render(json{{"checks", 5}, {"target", "x"}}, f, false));
        json odd = {{"checks", json::array({1, json::object(), {{"id", 7}, {"status", "fail"}}})}};
        CHECK_NOTHROW((void)render(odd, f, true));
    }
    json odd = {{"checks", json::array({{{"id", "a"}, {"status", "fail"}, {"level", "weird"}}})}};
    CHECK(render(odd, Format::Table, false).find("0 at or above error") != std::string::npos);
}
