// The v1 rdma controller.
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

Status apply_rdma(int dir, const std::map<std::string, spec::Rdma>& rdma) {
    for (const auto& [dev, limits] : rdma) {
        // The kernel changes only the keys a write names, so an unset one
        // is left out (as runc) and `update` keeps its current value.
        std::string line = dev;
        if (limits.hca_handles) line += " hca_handle=" + std::to_string(*limits.hca_handles);
        if (limits.hca_objects) line += " hca_object=" + std::to_string(*limits.hca_objects);
        if (line == dev) continue;
        CORRAL_TRY(write_file(dir, "rdma.max", line).context("linux.resources.rdma." + dev));
    }
    return {};
}

} // namespace corral::cgroups::v1
