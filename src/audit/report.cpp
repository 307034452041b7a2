#include "audit/report.hpp"

namespace corral::audit {

const char* level_name(Level l) {
    switch (l) {
    case Level::Info:
        return "info";
    case Level::Warning:
        return "warning";
    case Level::Error:
        return "error";
    }
    return "error";
}

Result<Level> parse_level(std::string_view s) {
    if (s == "info") return Level::Info;
    if (s == "warning") return Level::Warning;
    if (s == "error") return Level::Error;
    return plain_error("level:", "\"" + std::string(s) + "\" is not one of info, warning, error");
}

namespace {

const char* status_name(Outcome s) {
    switch (s) {
    case Outcome::Pass:
        return "pass";
    case Outcome::Fail:
        return "fail";
    case Outcome::Skip:
        return "skip";
    }
    return "skip";
}

} // namespace

Check& Report::add(Check c, bool ok) {
    c.status = ok ? Outcome::Pass : Outcome::Fail;
    checks_.push_back(std::move(c));
    return checks_.back();
}

Check& Report::skip(Check c, const std::string& why) {
    c.status = Outcome::Skip;
    c.observed = "not evaluated";
    c.explanation = why;
    checks_.push_back(std::move(c));
    return checks_.back();
}

size_t Report::blocking(Level fail_on) const {
    size_t n = 0;
    for (const auto& c : checks_)
        if (c.status == Outcome::Fail && c.level >= fail_on) ++n;
    return n;
}

nlohmann::json Report::to_json(const Target& t, const std::string& policy_name,
                               const std::string& policy_source, Level fail_on) const {
    using nlohmann::json;
    json checks = json::array();
    size_t passed = 0, failed = 0, skipped = 0;
    json by_level = {{"error", 0}, {"warning", 0}, {"info", 0}};
    for (const auto& c : checks_) {
        checks.push_back({{"id", c.id},
                          {"category", c.category},
                          {"kind", c.kind == Kind::Conformance ? "conformance" : "hardening"},
                          {"level", level_name(c.level)},
                          {"status", status_name(c.status)},
                          {"expected", c.expected},
                          {"observed", c.observed},
                          {"explanation", c.explanation}});
        if (c.status == Outcome::Pass) ++passed;
        if (c.status == Outcome::Skip) ++skipped;
        if (c.status == Outcome::Fail) {
            ++failed;
            by_level[level_name(c.level)] = by_level[level_name(c.level)].get<int>() + 1;
        }
    }
    size_t block = blocking(fail_on);
    json target = {{"id", t.id ? json(*t.id) : json(nullptr)},
                   {"pid", t.pid},
                   {"bundle", t.bundle ? json(*t.bundle) : json(nullptr)},
                   {"config", t.bundle.has_value()}};
    return {{"version", 1},
            {"tool", {{"name", "corral"}, {"version", CORRAL_VERSION}}},
            {"target", target},
            {"policy", {{"name", policy_name}, {"source", policy_source}}},
            {"failOn", level_name(fail_on)},
            {"checks", checks},
            {"summary",
             {{"total", checks_.size()},
              {"passed", passed},
              {"failed", failed},
              {"skipped", skipped},
              {"failedBlocking", block},
              {"failedByLevel", by_level}}},
            {"result", block ? "fail" : "pass"}};
}

} // namespace corral::audit
