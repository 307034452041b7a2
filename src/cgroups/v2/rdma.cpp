// The rdma controller: HCA handles and objects per device.
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

Status apply_rdma(int dir, const std::map<std::string, spec::Rdma>& rdma) {
    for (const auto& [dev, r] : rdma) {
        // The kernel splits the line on spaces: a device name with
        // whitespace would smuggle in other keys.
        if (dev.empty() || dev.find_first_of(" \t\n") != std::string::npos)
            return plain_error("linux.resources.rdma:", "invalid device name \"" + dev + "\"");
        auto part = [](const std::optional<uint32_t>& v) {
            return v ? std::to_string(*v) : std::string("max");
        };
        std::string line =
            dev + " hca_handle=" + part(r.hca_handles) + " hca_object=" + part(r.hca_objects);
        CORRAL_TRY(write_file(dir, "rdma.max", line).context("linux.resources.rdma." + dev));
    }
    return {};
}

} // namespace corral::cgroups::v2
