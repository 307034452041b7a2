// linux.resources.unified: raw "file": "value" pairs written into the
// container's group, for what the typed fields cannot say (memory.high...).
#include <algorithm>
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

namespace detail {

// Shared with check_resources (resources.cpp), which refuses bad keys before
// any group exists; declared there, as it is no part of the public API.
Status check_unified_key(const std::string& key) {
    const char* field = "linux.resources.unified:";
    if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos ||
        key.find_first_of(std::string(" \t\n\0", 4)) != std::string::npos)
        return plain_error(field, "\"" + key + "\": not a cgroup file name");
    auto dot = key.find('.');
    if (dot == 0 || dot == std::string::npos || dot + 1 == key.size())
        return plain_error(field, key + ": must be CONTROLLER.FILE");
    // Core files that would let a config move processes, freeze or kill the
    // group, or reshape the tree the runtime manages.
    static const char* const refused[] = {
        "cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
        "cgroup.type",  "cgroup.kill",    "cgroup.freeze"};
    for (const char* r : refused)
        if (key == r) return plain_error(field, key + ": not settable from a config");
    return {};
}

} // namespace detail

Status apply_unified(int dir, const std::map<std::string, std::string>& unified,
                     const std::vector<std::string>& enabled) {
    const char* field = "linux.resources.unified:";
    for (const auto& [key, value] : unified) {
        CORRAL_TRY(detail::check_unified_key(key));
        std::string controller = key.substr(0, key.find('.'));
        // "cgroup." files belong to the core and exist in every group.
        if (controller != "cgroup" &&
            std::find(enabled.begin(), enabled.end(), controller) == enabled.end())
            return plain_error(field, key + ": controller \"" + controller +
                                          "\" is not enabled in the container's cgroup");
        if (!file_exists(dir, key)) return plain_error(field, key + ": no such file");
        CORRAL_TRY(write_file(dir, key, value).context("linux.resources.unified"));
    }
    return {};
}

} // namespace corral::cgroups::v2
