// Hardening policies: which checks run and at what level. A policy maps a
// check id, or an id prefix ("hardening.limits" covers both limits checks),
// to {"enabled": bool, "level": "info|warning|error"}; the longest matching
// key wins, and "extends" layers a policy over a preset.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "audit/report.hpp"
#include "common/result.hpp"

namespace corral::audit {

struct Rule {
    std::optional<bool> enabled;
    std::optional<Level> level;
};

struct Policy {
    std::string name;
    std::string source; // "preset" or the file's path
    std::map<std::string, Rule> rules;
    // Drops disabled checks and sets levels.
    void apply(Report& r) const;
};

Result<Policy> preset(const std::string& name);
Result<Policy> load_policy_file(const std::string& path);
// Parses a policy document; `origin` names it in errors.
Result<Policy> parse_policy(const std::string& text, const std::string& origin);

} // namespace corral::audit
