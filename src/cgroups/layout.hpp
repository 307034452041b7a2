// Which cgroup hierarchies this host mounts, and where this process sits in
// each: the facts every backend starts from. Parsing is pure so it is tested
// on recorded mountinfo and /proc/self/cgroup texts.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace corral::cgroups {

enum class Mode {
    None,    // no cgroup filesystem under /sys/fs/cgroup
    Unified, // /sys/fs/cgroup is cgroup2
    Legacy,  // v1 controllers only
    Hybrid,  // v1 controllers plus cgroup2 at /sys/fs/cgroup/unified
};

struct V1Hierarchy {
    std::string key;                   // controllers joined by ',' as /proc/self/cgroup names them
    std::string mount;                 // e.g. /sys/fs/cgroup/cpu
    std::string root;                  // the hierarchy path mounted there (mountinfo field 4)
    std::set<std::string> controllers; // "memory", "name=systemd"...
};

struct Layout {
    Mode mode = Mode::None;
    std::string unified_mount;   // "" without a cgroup2 hierarchy
    std::vector<V1Hierarchy> v1; // by mount point order
    const V1Hierarchy* find(const std::string& controller) const;
};

Layout parse_layout(const std::string& mountinfo);
// /proc/self/cgroup → hierarchy key ("" for cgroup2's "0::") → group path.
std::map<std::string, std::string> parse_proc_cgroup(const std::string& text);

// The host's layout and this process's groups, read once per process.
const Layout& host_layout();
const std::map<std::string, std::string>& own_groups();

} // namespace corral::cgroups
