// The v1 pids controller.
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

Status apply_pids(int dir, const spec::Pids& p) {
    // As runc: 0 leaves the limit alone, a negative limit means none.
    if (!p.limit || *p.limit == 0) return {};
    std::string value = *p.limit > 0 ? std::to_string(*p.limit) : "max";
    return write_file(dir, "pids.max", value).context("linux.resources.pids.limit");
}

} // namespace corral::cgroups::v1
