// The cpuset controller: the CPUs and memory nodes the container may use.
#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

Status apply_cpuset(int dir, const spec::Cpu& c) {
    // Empty means unset here: an empty cpuset.cpus would inherit the
    // parent's, which is what leaving it alone already gives.
    if (!c.cpus.empty())
        CORRAL_TRY(write_file(dir, "cpuset.cpus", c.cpus).context("linux.resources.cpu.cpus"));
    if (!c.mems.empty())
        CORRAL_TRY(write_file(dir, "cpuset.mems", c.mems).context("linux.resources.cpu.mems"));
    return {};
}

} // namespace corral::cgroups::v2
