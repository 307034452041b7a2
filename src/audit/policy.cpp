#include "audit/policy.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "common/files.hpp"

extern "C" const char corral_audit_baseline[], corral_audit_baseline_end[];
extern "C" const char corral_audit_restricted[], corral_audit_restricted_end[];

namespace corral::audit {

namespace {

const Rule* match(const std::map<std::string, Rule>& rules, const std::string& id) {
    const Rule* best = nullptr;
    size_t best_len = 0;
    for (const auto& [key, rule] : rules) {
        bool hit = id == key || (id.size() > key.size() && id.compare(0, key.size(), key) == 0 &&
                                 id[key.size()] == '.');
        if (hit && key.size() >= best_len) {
            best = &rule;
            best_len = key.size();
        }
    }
    return best;
}

Result<Policy> parse_with_depth(const std::string& text, const std::string& origin, int depth);

Result<Policy> preset_at(const std::string& name, int depth) {
    std::string text;
    if (name == "baseline")
        text.assign(corral_audit_baseline, corral_audit_baseline_end);
    else if (name == "restricted")
        text.assign(corral_audit_restricted, corral_audit_restricted_end);
    else
        return plain_error("--preset:", "unknown preset \"" + name + "\" (baseline, restricted)");
    auto p = parse_with_depth(text, "preset " + name, depth);
    if (p) p->source = "preset";
    return p;
}

Result<Policy> parse_with_depth(const std::string& text, const std::string& origin, int depth) {
    using nlohmann::json;
    if (depth > 8) return plain_error(origin + ":", "\"extends\" nests too deep");
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return plain_error(origin + ":", "not a JSON object");
    Policy p;
    if (doc.contains("extends")) {
        if (!doc["extends"].is_string())
            return plain_error(origin + ": extends:", "expected a string");
        auto base = preset_at(doc["extends"].get<std::string>(), depth + 1);
        if (!base) return Error{base.error().err, origin + ": extends:", base.error().detail};
        p = std::move(*base);
    }
    p.name = doc.value("name", p.name.empty() ? origin : p.name);
    if (doc.contains("checks")) {
        if (!doc["checks"].is_object())
            return plain_error(origin + ": checks:", "expected an object");
        // A layer's rule covers what it names, also where the layer below
        // it was more specific: "hardening.limits" here overrides a preset's
        // "hardening.limits.memory".
        std::set<std::string> inherited;
        for (const auto& [k, v] : p.rules)
            inherited.insert(k);
        for (const auto& [id, v] : doc["checks"].items()) {
            std::string where = origin + ": checks." + id + ":";
            if (!v.is_object()) return plain_error(where, "expected an object");
            for (const auto& k : inherited)
                if (k.size() > id.size() && k.compare(0, id.size(), id) == 0 && k[id.size()] == '.')
                    p.rules.erase(k);
            Rule& r = p.rules[id];
            for (const auto& [k, val] : v.items()) {
                if (k == "enabled") {
                    if (!val.is_boolean())
                        return plain_error(where, "enabled: expected true or false");
                    r.enabled = val.get<bool>();
                } else if (k == "level") {
                    auto l = val.is_string() ? parse_level(val.get<std::string>())
                                             : Result<Level>(plain_error("", ""));
                    if (!l) return plain_error(where, "level: expected info, warning or error");
                    r.level = *l;
                } else {
                    return plain_error(where, "unknown key \"" + k + "\" (enabled, level)");
                }
            }
        }
    }
    for (const auto& [k, v] : doc.items())
        if (k != "name" && k != "extends" && k != "checks" && k != "description")
            return plain_error(origin + ":", "unknown key \"" + k + "\"");
    return p;
}

} // namespace

void Policy::apply(Report& r) const {
    auto& checks = r.checks();
    checks.erase(std::remove_if(checks.begin(), checks.end(),
                                [&](const Check& c) {
                                    const Rule* rule = match(rules, c.id);
                                    return rule && rule->enabled && !*rule->enabled;
                                }),
                 checks.end());
    for (auto& c : checks)
        if (const Rule* rule = match(rules, c.id); rule && rule->level) c.level = *rule->level;
}

Result<Policy> preset(const std::string& name) {
    return preset_at(name, 0);
}

Result<Policy> parse_policy(const std::string& text, const std::string& origin) {
    return parse_with_depth(text, origin, 0);
}

Result<Policy> load_policy_file(const std::string& path) {
    auto text = read_file(path);
    if (!text) return text.error();
    auto p = parse_policy(*text, "policy " + path);
    if (p) p->source = path;
    return p;
}

} // namespace corral::audit
