#include "cgroups/layout.hpp"

#include <string_view>

#include "common/files.hpp"

namespace corral::cgroups {

namespace {

constexpr std::string_view kBase = "/sys/fs/cgroup";
constexpr std::string_view kHybridMount = "/sys/fs/cgroup/unified";

// The next `sep`-separated field of `rest`, which then starts after it.
std::string_view next_field(std::string_view& rest, char sep) {
    auto end = rest.find(sep);
    std::string_view field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    return field;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        auto octal = [&](size_t k) {
            return i + k < s.size() && s[i + k] >= '0' && s[i + k] <= '7';
        };
        if (s[i] == '\\' && octal(1) && octal(2) && octal(3)) {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
            continue;
        }
        out += s[i];
    }
    return out;
}

bool is_mount_flag(std::string_view opt) {
    return opt == "rw" || opt == "ro" || opt == "clone_children" || opt == "noprefix" ||
           opt == "xattr" || opt == "cpuset_v2_mode" || opt.starts_with("release_agent=");
}

// One "cgroup" line's hierarchy: its controllers, keyed in the order of the
// mount options, which is the kernel's order in /proc/self/cgroup too.
V1Hierarchy v1_hierarchy(std::string mount, std::string root, std::string_view options) {
    V1Hierarchy h;
    h.mount = std::move(mount);
    h.root = std::move(root);
    while (!options.empty()) {
        std::string_view opt = next_field(options, ',');
        if (opt.empty() || is_mount_flag(opt) || !h.controllers.emplace(opt).second) continue;
        if (!h.key.empty()) h.key += ',';
        h.key += opt;
    }
    return h;
}

} // namespace

const V1Hierarchy* Layout::find(const std::string& controller) const {
    for (const auto& h : v1)
        if (h.controllers.count(controller)) return &h;
    return nullptr;
}

// Runs on every create, run and exec: a single pass over string views, and
// only cgroup lines are taken apart.
Layout parse_layout(const std::string& mountinfo) {
    Layout l;
    bool base_is_v2 = false;
    std::string hybrid_mount;
    std::string_view text = mountinfo;
    while (!text.empty()) {
        std::string_view line = next_field(text, '\n');
        auto sep = line.find(" - ");
        if (sep == std::string_view::npos) continue;
        std::string_view post = line.substr(sep + 3);
        std::string_view fstype = next_field(post, ' ');
        if (fstype != "cgroup" && fstype != "cgroup2") continue;
        next_field(post, ' '); // source
        std::string_view options = next_field(post, ' ');
        std::string_view pre = line.substr(0, sep);
        for (int skip = 0; skip < 3; ++skip) // mount id, parent id, major:minor
            next_field(pre, ' ');
        std::string_view raw_root = next_field(pre, ' ');
        std::string_view raw_mount = next_field(pre, ' ');
        if (raw_mount.empty()) continue;
        std::string mnt = unescape(raw_mount);
        if (fstype == "cgroup2") {
            // Later mounts on the same point hide earlier ones.
            if (mnt == kBase) base_is_v2 = true;
            if (mnt == kHybridMount) hybrid_mount = mnt;
            continue;
        }
        if (mnt.size() <= kBase.size() || !mnt.starts_with(kBase) || mnt[kBase.size()] != '/')
            continue;
        V1Hierarchy h = v1_hierarchy(std::move(mnt), unescape(raw_root), options);
        if (h.controllers.empty()) continue;
        bool dup = false;
        for (const auto& other : l.v1)
            if (other.key == h.key) dup = true;
        if (!dup) l.v1.push_back(std::move(h));
    }
    if (base_is_v2) {
        l.mode = Mode::Unified;
        l.unified_mount = kBase;
        l.v1.clear();
    } else if (!l.v1.empty()) {
        l.mode = hybrid_mount.empty() ? Mode::Legacy : Mode::Hybrid;
        l.unified_mount = hybrid_mount;
    }
    return l;
}

std::map<std::string, std::string> parse_proc_cgroup(const std::string& text) {
    std::map<std::string, std::string> out;
    std::string_view rest = text;
    while (!rest.empty()) {
        std::string_view line = next_field(rest, '\n');
        auto a = line.find(':');
        auto b = a == std::string_view::npos ? a : line.find(':', a + 1);
        if (b == std::string_view::npos) continue;
        out[std::string(line.substr(a + 1, b - a - 1))] = line.substr(b + 1);
    }
    return out;
}

const Layout& host_layout() {
    static const Layout layout = [] {
        auto text = read_file("/proc/self/mountinfo");
        return parse_layout(text ? *text : "");
    }();
    return layout;
}

const std::map<std::string, std::string>& own_groups() {
    static const std::map<std::string, std::string> groups = [] {
        auto text = read_file("/proc/self/cgroup");
        return parse_proc_cgroup(text ? *text : "");
    }();
    return groups;
}

} // namespace corral::cgroups
