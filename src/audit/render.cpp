#include "audit/render.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <vector>

namespace corral::audit {

using nlohmann::json;

namespace {

// The fixed order of the table and of the JUnit suites; a category outside it
// (a newer check, a hand-edited report) comes after, in order of appearance.
constexpr std::array<std::string_view, 6> kCategories = {"namespaces", "user",    "credentials",
                                                         "filesystem", "cgroups", "misc"};

// nlohmann throws on invalid UTF-8 unless told otherwise, and render must not.
std::string dump(const json& j, int indent) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// Field access that never throws: json::value() does on a non-object or a
// mistyped field.
const json& field(const json& j, const char* key) {
    static const json missing;
    if (!j.is_object()) return missing;
    auto it = j.find(key);
    return it == j.end() ? missing : *it;
}

std::string text(const json& j, const char* key) {
    const json& v = field(j, key);
    if (v.is_string()) return v.get_ref<const std::string&>();
    if (v.is_null()) return {};
    return dump(v, -1);
}

int level_rank(std::string_view level) {
    if (level == "info") return 0;
    if (level == "warning") return 1;
    if (level == "error") return 2;
    return -1;
}

std::string fail_on_of(const json& report) {
    std::string f = text(report, "failOn");
    return level_rank(f) < 0 ? "error" : f;
}

struct Row {
    std::string id, category, kind, level, status, expected, observed, explanation;
};

std::vector<Row> checks_of(const json& report) {
    std::vector<Row> out;
    const json& arr = field(report, "checks");
    if (!arr.is_array()) return out;
    for (const json& c : arr) {
        if (!c.is_object()) continue;
        out.push_back({text(c, "id"), text(c, "category"), text(c, "kind"), text(c, "level"),
                       text(c, "status"), text(c, "expected"), text(c, "observed"),
                       text(c, "explanation")});
    }
    return out;
}

// Categories in display order, each with its checks in report order.
std::vector<std::pair<std::string, std::vector<const Row*>>>
group_by_category(const std::vector<Row>& checks) {
    std::vector<std::pair<std::string, std::vector<const Row*>>> groups;
    for (auto name : kCategories)
        groups.emplace_back(std::string(name), std::vector<const Row*>{});
    for (const Row& c : checks) {
        auto it = groups.begin();
        while (it != groups.end() && it->first != c.category)
            ++it;
        if (it == groups.end())
            it = groups.emplace(groups.end(), c.category, std::vector<const Row*>{});
        it->second.push_back(&c);
    }
    std::erase_if(groups, [](const auto& g) { return g.second.empty(); });
    return groups;
}

// "c1" for a container, "pid 1234" for a --pid audit.
std::string target_label(const json& report) {
    const json& target = field(report, "target");
    std::string id = text(target, "id");
    if (!id.empty()) return id;
    const json& pid = field(target, "pid");
    if (pid.is_number_integer()) return "pid " + std::to_string(pid.get<int64_t>());
    return "pid ?";
}

// One line shared by the table, SARIF and JUnit so a failure reads the same
// everywhere.
std::string failure_text(const Row& c) {
    std::string s = "expected " + c.expected + "; observed " + c.observed;
    if (!c.explanation.empty()) s += ": " + c.explanation;
    return s;
}

// Decodes one code point at s[i], advancing i; an invalid or overlong
// sequence, a surrogate or a value past U+10FFFF yields U+FFFD for one byte.
uint32_t next_code_point(std::string_view s, size_t& i) {
    constexpr uint32_t kBad = 0xFFFD;
    auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
    if (len == 0 || b0 > 0xF4 || i + len > s.size()) {
        ++i;
        return kBad;
    }
    uint32_t cp = b0 & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
        auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) {
            ++i;
            return kBad;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return kBad;
    }
    i += len;
    return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// A visible stand-in for a character that must not reach the output as is.
void append_escaped(std::string& out, uint32_t cp) {
    char buf[16];
    if (cp == '\n')
        out += "\\n";
    else if (cp == '\t')
        out += "\\t";
    else if (cp == '\r')
        out += "\\r";
    else if (cp < 0x100)
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp)), out += buf;
    else
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp)), out += buf;
}

// For a terminal: C0, DEL and C1 controls (ESC and CSI would let a container
// restyle or rewrite the operator's screen) and bidirectional overrides (which
// reorder what is shown) become visible escapes; newlines too, so one check
// stays on its lines.
std::string term(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = next_code_point(s, i);
        bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
        bool bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
                    cp == 0x200E || cp == 0x200F || cp == 0x061C;
        if (control || bidi)
            append_escaped(out, cp);
        else
            append_utf8(out, cp);
    }
    return out;
}

// XML 1.0 cannot hold C0 controls other than tab, newline and carriage return
// even as character references, nor U+FFFE/U+FFFF: those become visible
// escapes, and so do DEL and C1 controls, which it discourages. In attributes whitespace is written
// as references, or a parser would normalise it to spaces.
std::string xml(std::string_view s, bool attribute) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = next_code_point(s, i);
        switch (cp) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        case '\r':
            out += "&#13;";
            break;
        case '\t':
        case '\n':
            if (attribute)
                out += cp == '\t' ? "&#9;" : "&#10;";
            else
                out += static_cast<char>(cp);
            break;
        default:
            if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF)
                append_escaped(out, cp);
            else
                append_utf8(out, cp);
        }
    }
    return out;
}

std::string attr(std::string_view s) {
    return xml(s, true);
}

const char* sarif_level(std::string_view level) {
    if (level == "error") return "error";
    if (level == "info") return "note";
    return "warning";
}

// ANSI styles for the table.
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kReset = "\x1b[0m";

std::string paint(const std::string& s, const char* style, bool color) {
    if (!color || style == nullptr) return s;
    return style + s + kReset;
}

std::string render_table(const json& report, bool color) {
    auto checks = checks_of(report);
    std::string fail_on = fail_on_of(report);
    json summary = summarize(field(report, "checks"), fail_on);
    const json& target = field(report, "target");
    const json& policy = field(report, "policy");

    std::string out = "corral audit of ";
    std::string id = text(target, "id");
    std::string pid = text(target, "pid");
    if (!id.empty())
        out += "container " + term(id) + (pid.empty() ? "" : " (pid " + term(pid) + ")");
    else
        out += "pid " + term(pid.empty() ? "?" : pid) + " (no config.json)";
    out += ", policy " + term(text(policy, "name"));
    if (std::string source = text(policy, "source"); !source.empty())
        out += " (" + term(source) + ")";
    out += ", fail on " + fail_on + "\n";

    for (const auto& [category, members] : group_by_category(checks)) {
        out +=
            "\n" + paint(term(category.empty() ? "(no category)" : category), kBold, color) + "\n";
        for (const Row* c : members) {
            std::string level = term(c->level);
            if (level.size() < 7) level.resize(7, ' ');
            std::string line;
            if (c->status == "pass") {
                line = "  " + paint("PASS", kGreen, color) + "  " + level + "  " + term(c->id);
            } else if (c->status == "fail") {
                const char* style = c->level == "error"     ? kRed
                                    : c->level == "warning" ? kYellow
                                                            : nullptr;
                line = "  " + paint("FAIL", style, color) + "  " + level + "  " + term(c->id) +
                       "\n        " + term(failure_text(*c));
            } else {
                // A skip is not a finding: its reason stays on its one line, dimmed.
                std::string plain = "  SKIP  " + level + "  " + term(c->id);
                if (!c->explanation.empty()) plain += "  (" + term(c->explanation) + ")";
                if (c->status != "skip") plain += "  [status " + term(c->status) + "]";
                line = paint(plain, kDim, color);
            }
            out += line + "\n";
        }
    }
    if (checks.empty()) out += "\nno checks ran\n";

    bool failed = summary["failedBlocking"].get<int64_t>() > 0;
    out += "\n" + std::to_string(summary["total"].get<int64_t>()) +
           " checks: " + std::to_string(summary["passed"].get<int64_t>()) + " passed, " +
           std::to_string(summary["failed"].get<int64_t>()) + " failed (" +
           std::to_string(summary["failedBlocking"].get<int64_t>()) + " at or above " + fail_on +
           "), " + std::to_string(summary["skipped"].get<int64_t>()) +
           " skipped: " + paint(failed ? "FAIL" : "PASS", failed ? kRed : kGreen, color) + "\n";
    return out;
}

std::string render_sarif(const json& report) {
    auto checks = checks_of(report);
    std::string fail_on = fail_on_of(report);
    json summary = summarize(field(report, "checks"), fail_on);
    bool failed = summary["failedBlocking"].get<int64_t>() > 0;
    std::string label = target_label(report);

    // One rule per distinct id; its description comes from a check that ran,
    // since a skip's explanation says why it did not, not what it guards.
    json rules = json::array();
    std::map<std::string, size_t> rule_index;
    for (const Row& c : checks) {
        auto [it, fresh] = rule_index.try_emplace(c.id, rules.size());
        if (fresh) {
            rules.push_back({{"id", c.id},
                             {"shortDescription", {{"text", c.id}}},
                             {"defaultConfiguration", {{"level", sarif_level(c.level)}}},
                             {"properties", {{"tags", json::array({c.category, c.kind})}}}});
        }
        json& rule = rules[it->second];
        if (c.status != "skip" && !c.explanation.empty() &&
            rule["shortDescription"]["text"] == c.id)
            rule["shortDescription"]["text"] = c.explanation;
    }

    json results = json::array();
    for (const Row& c : checks) {
        if (c.status != "fail") continue;
        results.push_back(
            {{"ruleId", c.id},
             {"ruleIndex", rule_index[c.id]},
             {"level", sarif_level(c.level)},
             {"message", {{"text", failure_text(c)}}},
             {"locations",
              json::array({{{"logicalLocations",
                             json::array({{{"name", label}, {"kind", "resource"}}})}}})},
             {"properties",
              {{"category", c.category},
               {"kind", c.kind},
               {"expected", c.expected},
               {"observed", c.observed}}}});
    }

    json driver = {{"name", "corral"}, {"rules", std::move(rules)}};
    if (std::string v = text(field(report, "tool"), "version"); !v.empty()) driver["version"] = v;
    json run = {{"tool", {{"driver", std::move(driver)}}},
                {"invocations", json::array({{{"executionSuccessful", true}}})},
                {"results", std::move(results)},
                {"properties",
                 {{"target", field(report, "target")},
                  {"policy", field(report, "policy")},
                  {"failOn", fail_on},
                  {"summary", summary},
                  {"result", failed ? "fail" : "pass"},
                  {"exitCode", failed ? 1 : 0}}}};
    json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                  {"version", "2.1.0"},
                  {"runs", json::array({std::move(run)})}};
    return dump(sarif, 2) + "\n";
}

std::string counts(const json& s) {
    return " tests=\"" + std::to_string(s["total"].get<int64_t>()) + "\" failures=\"" +
           std::to_string(s["failed"].get<int64_t>()) + "\" errors=\"0\" skipped=\"" +
           std::to_string(s["skipped"].get<int64_t>()) + "\"";
}

std::string render_junit(const json& report) {
    auto checks = checks_of(report);
    std::string fail_on = fail_on_of(report);
    std::string suite = "corral audit " + target_label(report);

    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<testsuites name=\"" + attr(suite) + "\"" +
           counts(summarize(field(report, "checks"), fail_on)) + ">\n";
    for (const auto& [category, members] : group_by_category(checks)) {
        // Counted from the same checks as the report's summary, per category.
        json arr = json::array();
        for (const Row* c : members)
            arr.push_back({{"level", c->level}, {"status", c->status}});
        // Suite names stay distinct per category: some CI viewers merge equal names.
        out += "  <testsuite name=\"" + attr(suite + ": " + category) + "\"" +
               counts(summarize(arr, fail_on)) + ">\n";
        for (const Row* c : members) {
            out += "    <testcase classname=\"corral.audit." + attr(category) + "\" name=\"" +
                   attr(c->id) + "\"";
            if (c->status == "fail") {
                out += ">\n      <failure message=\"" + attr(failure_text(*c)) + "\" type=\"" +
                       attr(c->level) + "\">" + xml("expected: " + c->expected, false) + "\n" +
                       xml("observed: " + c->observed, false) + "\n" + xml(c->explanation, false) +
                       "</failure>\n    </testcase>\n";
            } else if (c->status == "skip") {
                out += ">\n      <skipped message=\"" + attr(c->explanation) +
                       "\"/>\n    </testcase>\n";
            } else {
                out += "/>\n";
            }
        }
        out += "  </testsuite>\n";
    }
    out += "</testsuites>\n";
    return out;
}

} // namespace

Result<Format> parse_format(std::string_view name) {
    if (name == "table") return Format::Table;
    if (name == "json") return Format::Json;
    if (name == "sarif") return Format::Sarif;
    if (name == "junit") return Format::Junit;
    return plain_error("--format:",
                       "\"" + term(name) + "\" is not one of table, json, sarif, junit");
}

json summarize(const json& checks, std::string_view fail_on) {
    int threshold = level_rank(fail_on);
    if (threshold < 0) threshold = level_rank("error");
    int64_t total = 0, passed = 0, failed = 0, skipped = 0, blocking = 0;
    std::map<std::string, int64_t> by_level = {{"error", 0}, {"warning", 0}, {"info", 0}};
    if (checks.is_array()) {
        for (const json& c : checks) {
            if (!c.is_object()) continue;
            ++total;
            std::string status = text(c, "status"), level = text(c, "level");
            if (status == "pass") {
                ++passed;
            } else if (status == "fail") {
                ++failed;
                if (level_rank(level) >= threshold) ++blocking;
                if (level_rank(level) >= 0) ++by_level[level];
            } else if (status == "skip") {
                ++skipped;
            }
        }
    }
    return {{"total", total},     {"passed", passed},           {"failed", failed},
            {"skipped", skipped}, {"failedBlocking", blocking}, {"failedByLevel", by_level}};
}

std::string render(const json& report, Format format, bool color) {
    switch (format) {
    case Format::Table:
        return render_table(report, color);
    case Format::Json:
        return dump(report, 2) + "\n";
    case Format::Sarif:
        return render_sarif(report);
    case Format::Junit:
        return render_junit(report);
    }
    return {};
}

} // namespace corral::audit
