// The audit's result model: one Check per thing looked at, and the Report
// they make. JSON is the source of truth (docs/audit.schema.json); the other
// formats are rendered from it (render.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace corral::audit {

enum class Level { Info, Warning, Error };
enum class Outcome { Pass, Fail, Skip };
enum class Kind { Conformance, Hardening };

const char* level_name(Level l);
Result<Level> parse_level(std::string_view s);

struct Check {
    std::string id;       // "namespaces.net", "hardening.host-namespace.pid", ...
    std::string category; // namespaces, user, credentials, filesystem, cgroups, misc
    Kind kind = Kind::Conformance;
    Level level = Level::Error;
    Outcome status = Outcome::Pass;
    std::string expected, observed, explanation;
};

struct Target {
    std::optional<std::string> id, bundle;
    pid_t pid = 0;
};

class Report {
public:
    // Adds a check; `ok` decides pass or fail.
    Check& add(Check c, bool ok);
    Check& skip(Check c, const std::string& why);
    std::vector<Check>& checks() { return checks_; }
    const std::vector<Check>& checks() const { return checks_; }

    // Failed checks at or above `fail_on`.
    size_t blocking(Level fail_on) const;
    nlohmann::json to_json(const Target& t, const std::string& policy_name,
                           const std::string& policy_source, Level fail_on) const;

private:
    std::vector<Check> checks_;
};

} // namespace corral::audit
