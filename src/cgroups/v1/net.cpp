// The v1 net_cls and net_prio controllers.
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

Status apply_net_cls(int dir, const spec::Network& n) {
    if (!n.class_id) return {};
    return write_file(dir, "net_cls.classid", std::to_string(*n.class_id))
        .context("linux.resources.network.classID");
}

Status apply_net_prio(int dir, const spec::Network& n) {
    // The kernel takes one "ifname prio" pair per write.
    for (const auto& p : n.priorities)
        CORRAL_TRY(write_file(dir, "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority))
                       .context("linux.resources.network.priorities"));
    return {};
}

} // namespace corral::cgroups::v1
