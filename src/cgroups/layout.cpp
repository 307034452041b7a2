#include "cgroups/layout.hpp"

#include <sstream>

#include "common/files.hpp"

namespace corral::cgroups {

namespace {

constexpr const char* kBase = "/sys/fs/cgroup";

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(s);
    while (std::getline(in, part, sep))
        out.push_back(part);
    return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
    std::string out;
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

} // namespace

const V1Hierarchy* Layout::find(const std::string& controller) const {
    for (const auto& h : v1)
        if (h.controllers.count(controller)) return &h;
    return nullptr;
}

Layout parse_layout(const std::string& mountinfo) {
    Layout l;
    bool base_is_v2 = false;
    std::string hybrid_mount;
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        auto sep = line.find(" - ");
        if (sep == std::string::npos) continue;
        auto pre = split(line.substr(0, sep), ' ');
        auto post = split(line.substr(sep + 3), ' ');
        if (pre.size() < 5 || post.size() < 3) continue;
        std::string root = unescape(pre[3]), mnt = unescape(pre[4]);
        const std::string& fstype = post[0];
        if (fstype == "cgroup2") {
            // Later mounts on the same point hide earlier ones.
            if (mnt == kBase) base_is_v2 = true;
            if (mnt == std::string(kBase) + "/unified") hybrid_mount = mnt;
            continue;
        }
        if (fstype != "cgroup" || mnt.rfind(std::string(kBase) + "/", 0) != 0) continue;
        V1Hierarchy h;
        h.mount = mnt;
        h.root = root;
        for (const auto& opt : split(post[2], ',')) {
            if (opt == "rw" || opt == "ro" || opt == "clone_children" || opt == "noprefix" ||
                opt == "xattr" || opt == "cpuset_v2_mode" || opt.rfind("release_agent=", 0) == 0)
                continue;
            h.controllers.insert(opt);
        }
        if (h.controllers.empty()) continue;
        // /proc/self/cgroup lists a hierarchy's controllers in the kernel's
        // order, which is the order of the mount options.
        for (const auto& opt : split(post[2], ','))
            if (h.controllers.count(opt)) h.key += (h.key.empty() ? "" : ",") + opt;
        bool dup = false;
        for (auto& other : l.v1)
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
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto a = line.find(':');
        auto b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
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
