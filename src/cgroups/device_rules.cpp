#include "cgroups/device_rules.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace corral::cgroups {

namespace {

DeviceAccessRule allow_rule(char type, int64_t major, int64_t minor, unsigned access) {
    return {true, type, major, minor, access};
}

// What every container may use whatever its config says (runc allows the
// same): mknod of any node, and the standard character devices.
const DeviceAccessRule kDefaultAllow[] = {
    allow_rule('c', -1, -1, kDeviceMknod),      allow_rule('b', -1, -1, kDeviceMknod),
    allow_rule('c', 1, 3, kDeviceAllAccess),    // null
    allow_rule('c', 1, 5, kDeviceAllAccess),    // zero
    allow_rule('c', 1, 7, kDeviceAllAccess),    // full
    allow_rule('c', 1, 8, kDeviceAllAccess),    // random
    allow_rule('c', 1, 9, kDeviceAllAccess),    // urandom
    allow_rule('c', 5, 0, kDeviceAllAccess),    // tty
    allow_rule('c', 5, 1, kDeviceAllAccess),    // console
    allow_rule('c', 5, 2, kDeviceAllAccess),    // ptmx
    allow_rule('c', 136, -1, kDeviceAllAccess), // pts
};

bool same_device(const DeviceAccessRule& a, const DeviceAccessRule& b) {
    return a.type == b.type && a.major == b.major && a.minor == b.minor;
}

std::string number(int64_t v) {
    return v < 0 ? "*" : std::to_string(v);
}

// The kernel's v1 exception list, plus which access bits config rules (as
// opposed to the runtime's defaults) put in each entry.
class Fold {
public:
    Fold() { reset(false); }

    Status apply(const DeviceAccessRule& r, const std::string& where) {
        if (is_whole_wildcard(r)) {
            reset(r.allow);
            return {};
        }
        if (r.allow != default_allow_) {
            add(r, r.access);
            return {};
        }
        return take_away(r, where);
    }

    std::vector<DeviceAccessRule> result() const {
        std::vector<DeviceAccessRule> out{{default_allow_, 'a', -1, -1, kDeviceAllAccess}};
        for (const auto& e : entries_)
            out.push_back(e.rule);
        return out;
    }

private:
    struct Entry {
        DeviceAccessRule rule;
        unsigned from_config = 0;
    };

    void reset(bool allow_all) {
        default_allow_ = allow_all;
        entries_.clear();
        if (!allow_all)
            for (const auto& r : kDefaultAllow)
                add(r, 0);
    }

    Entry* find(const DeviceAccessRule& r) {
        for (auto& e : entries_)
            if (same_device(e.rule, r)) return &e;
        return nullptr;
    }

    void add(const DeviceAccessRule& r, unsigned from_config) {
        if (Entry* e = find(r)) {
            e->rule.access |= r.access;
            e->from_config |= from_config;
            return;
        }
        entries_.push_back({r, from_config});
    }

    Status take_away(const DeviceAccessRule& r, const std::string& where) {
        // The broader entries that also match r's devices.
        const DeviceAccessRule wider[] = {{r.allow, r.type, -1, r.minor, 0},
                                          {r.allow, r.type, r.major, -1, 0},
                                          {r.allow, r.type, -1, -1, 0}};
        for (const auto& w : wider) {
            if (same_device(w, r)) continue;
            const Entry* e = find(w);
            if (e && (e->from_config & r.access))
                return plain_error(
                    where, std::string("cannot ") + (r.allow ? "allow " : "deny ") + to_string(r) +
                               ": an earlier rule " + (r.allow ? "denies " : "allows ") +
                               to_string(e->rule) + " and a wildcard rule cannot have holes");
        }
        auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&r](const Entry& e) { return same_device(e.rule, r); });
        if (it == entries_.end()) return {};
        it->rule.access &= ~r.access;
        it->from_config &= ~r.access;
        if (it->rule.access == 0) entries_.erase(it);
        return {};
    }

    bool default_allow_ = false;
    std::vector<Entry> entries_;
};

// Negative numbers have always meant "any" here; the kernel takes a u32.
Status parse_number(const std::optional<int64_t>& v, const char* name, const std::string& where,
                    int64_t& out) {
    if (v && *v > int64_t{UINT32_MAX})
        return plain_error(where, std::string(name) + " " + std::to_string(*v) + " out of range");
    out = v && *v >= 0 ? *v : -1;
    return {};
}

Result<DeviceAccessRule> parse_rule(const spec::DeviceRule& r, const std::string& where) {
    DeviceAccessRule out;
    out.allow = r.allow;
    std::string type = r.type.empty() ? "a" : r.type;
    if (type != "a" && type != "b" && type != "c")
        return plain_error(where, "unknown device type \"" + type + "\"");
    out.type = type[0];
    std::string access = r.access.empty() ? "rwm" : r.access;
    out.access = 0;
    for (char c : access) {
        if (c == 'r')
            out.access |= kDeviceRead;
        else if (c == 'w')
            out.access |= kDeviceWrite;
        else if (c == 'm')
            out.access |= kDeviceMknod;
        else
            return plain_error(where, "bad access \"" + access + "\"");
    }
    CORRAL_TRY(parse_number(r.major, "major", where, out.major));
    CORRAL_TRY(parse_number(r.minor, "minor", where, out.minor));
    return out;
}

} // namespace

bool is_whole_wildcard(const DeviceAccessRule& r) {
    return r.type == 'a' && r.major < 0 && r.minor < 0 && r.access == kDeviceAllAccess;
}

std::string to_string(const DeviceAccessRule& r) {
    std::string access;
    if (r.access & kDeviceRead) access += 'r';
    if (r.access & kDeviceWrite) access += 'w';
    if (r.access & kDeviceMknod) access += 'm';
    return std::string(1, r.type) + " " + number(r.major) + ":" + number(r.minor) + " " + access;
}

Result<std::vector<DeviceAccessRule>>
effective_device_rules(const std::vector<spec::DeviceRule>& rules) {
    Fold fold;
    for (size_t i = 0; i < rules.size(); ++i) {
        std::string where = "linux.resources.devices[" + std::to_string(i) + "]:";
        auto r = parse_rule(rules[i], where);
        if (!r.ok()) return r.error();
        if (r->type == 'a' && !is_whole_wildcard(*r)) {
            for (char type : {'c', 'b'}) {
                DeviceAccessRule one = *r;
                one.type = type;
                CORRAL_TRY(fold.apply(one, where));
            }
            continue;
        }
        CORRAL_TRY(fold.apply(*r, where));
    }
    return fold.result();
}

} // namespace corral::cgroups
