// Chooses the backend for this host and resolves where a container's groups
// go; the backends themselves are manager_v2.cpp and manager_v1.cpp.
#include "cgroups/manager_impl.hpp"

#include <sstream>

#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups {

namespace {

const char* first_resource(const spec::Resources& r) {
    if (r.memory) return "memory";
    if (r.cpu) return "cpu";
    if (r.pids) return "pids";
    if (r.block_io) return "blockIO";
    if (!r.hugepage_limits.empty()) return "hugepageLimits";
    if (r.network) return "network";
    if (!r.rdma.empty()) return "rdma";
    if (!r.unified.empty()) return "unified";
    return nullptr;
}

} // namespace

Status check_resources_supported(const spec::Spec& spec, bool cgroups_disabled) {
    if (!spec.linux || !spec.linux->resources) return {};
    const auto& r = *spec.linux->resources;
    if (cgroups_disabled) {
        // Device rules are the default config's; without a cgroup they
        // cannot be enforced, as with crun's --cgroup-manager=disabled.
        if (const char* field = first_resource(r))
            return plain_error(std::string("linux.resources.") + field + ":",
                               "resource limits need a cgroup, but the cgroup manager is disabled");
        return {};
    }
    if (host_layout().mode == Mode::Unified) return v2::check_resources(r);
    return {};
}

Result<std::string> resolve_group_path(const std::string& cgroups_path, const std::string& id,
                                       const std::string& own_cgroup) {
    std::string p = cgroups_path;
    if (p.empty())
        p = "/corral/" + id;
    else if (p[0] != '/')
        p = (own_cgroup == "/" ? "" : own_cgroup) + "/" + p;
    std::stringstream ss(p);
    std::string part, clean;
    while (std::getline(ss, part, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") return plain_error("linux.cgroupsPath:", "\"..\" is not allowed");
        clean += "/" + part;
    }
    if (clean.empty())
        return plain_error("linux.cgroupsPath:", "the hierarchy root cannot be a container's");
    return clean;
}

std::unique_ptr<Manager> open_existing(const std::map<std::string, std::string>& paths) {
    if (paths.size() == 1 && paths.count("unified") && host_layout().mode == Mode::Unified)
        return open_unified(paths.at("unified"));
    return open_v1(paths);
}

Result<std::unique_ptr<Manager>> make_manager(const spec::Spec& spec, const std::string& id) {
    const auto& layout = host_layout();
    if (layout.mode == Mode::None)
        return plain_error("find cgroup hierarchies:", "nothing is mounted under /sys/fs/cgroup");
    CORRAL_TRY(check_resources_supported(spec, false));
    std::string cpath = spec.linux ? spec.linux->cgroups_path : "";
    spec::Resources res;
    if (spec.linux && spec.linux->resources) res = *spec.linux->resources;
    const auto& own = own_groups();
    auto own_of = [&](const std::string& key) {
        auto it = own.find(key);
        return it == own.end() ? std::string("/") : it->second;
    };
    if (layout.mode == Mode::Unified) {
        auto group = resolve_group_path(cpath, id, own_of(""));
        if (!group) return group.error();
        return make_unified(layout.unified_mount, *group, std::move(res));
    }
    // Relative paths resolve per hierarchy: this process may sit in a
    // different group in each.
    std::map<std::string, std::string> groups;
    for (const auto& h : layout.v1) {
        auto group = resolve_group_path(cpath, id, own_of(h.key));
        if (!group) return group.error();
        groups[h.key] = *group;
    }
    if (!layout.unified_mount.empty()) {
        auto group = resolve_group_path(cpath, id, own_of(""));
        if (!group) return group.error();
        groups["unified"] = *group;
    }
    return make_v1(layout, std::move(groups), std::move(res));
}

} // namespace corral::cgroups
