#include "runtime/exec_cgroup.hpp"

#include <sstream>

namespace corral::runtime {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string part; std::getline(in, part, sep);)
        out.push_back(part);
    return out;
}

// Relative, without "." or ".." components: it names a group below the
// container's and nothing else.
Result<std::string> clean_sub_path(const std::string& request, std::string path) {
    while (!path.empty() && path.front() == '/')
        path.erase(0, 1);
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    if (path.empty())
        return plain_error("exec --cgroup " + request + ":", "no group path after the controllers");
    for (const auto& part : split(path, '/'))
        if (part.empty() || part == "." || part == "..")
            return plain_error("exec --cgroup " + request + ":",
                               "the path must stay below the container's group");
    return path;
}

bool hierarchy_has(const std::string& key, const std::string& controller) {
    for (const auto& c : split(key, ','))
        if (c == controller) return true;
    return false;
}

} // namespace

Result<std::map<std::string, std::string>>
exec_cgroup_paths(const std::map<std::string, std::string>& container,
                  const std::vector<std::string>& requests) {
    if (requests.empty()) return container;
    if (container.empty())
        return plain_error("exec --cgroup:", "the container has no cgroups (created with "
                                             "--cgroup-manager=disabled)");
    std::string everywhere;
    std::map<std::string, std::string> by_hierarchy;
    for (const auto& request : requests) {
        size_t colon = request.find(':');
        auto path = clean_sub_path(request, colon == std::string::npos ? request
                                                                       : request.substr(colon + 1));
        if (!path) return path.error();
        if (colon == std::string::npos) {
            everywhere = *path;
            continue;
        }
        for (const auto& controller : split(request.substr(0, colon), ',')) {
            bool found = false;
            for (const auto& [key, dir] : container)
                if (hierarchy_has(key, controller)) {
                    by_hierarchy[key] = *path;
                    found = true;
                }
            if (!found)
                return plain_error("exec --cgroup " + request + ":",
                                   "the container has no group with controller \"" + controller +
                                       "\"");
        }
    }
    std::map<std::string, std::string> out = container;
    for (auto& [key, dir] : out) {
        auto it = by_hierarchy.find(key);
        const std::string& sub = it != by_hierarchy.end() ? it->second : everywhere;
        if (!sub.empty()) dir += "/" + sub;
    }
    return out;
}

} // namespace corral::runtime
