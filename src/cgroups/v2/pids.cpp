// The pids controller: the most tasks the group may hold.
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

Status apply_pids(int dir, const spec::Pids& p) {
    // As in runc: 0 leaves the limit alone, any negative value removes it.
    if (!p.limit || *p.limit == 0) return {};
    std::string v = *p.limit < 0 ? "max" : std::to_string(*p.limit);
    return write_file(dir, "pids.max", v).context("linux.resources.pids.limit");
}

} // namespace corral::cgroups::v2
