// The v1 hugetlb controller.
#include <cerrno>
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

Status apply_hugetlb(int dir, const std::vector<spec::HugepageLimit>& limits) {
    // Kernels ≥ 5.7 also account reservations (rsvd); limiting those too
    // keeps a mapping from reserving pages it could never fault in (runc
    // sets both). Older kernels lack the files: checked once.
    bool rsvd = true;
    for (const auto& l : limits) {
        std::string prefix = "hugetlb." + l.page_size;
        std::string value = std::to_string(l.limit);
        std::string file = prefix + ".limit_in_bytes";
        if (!file_exists(dir, file))
            return plain_error("linux.resources.hugepageLimits:",
                               "page size \"" + l.page_size +
                                   "\" is not supported on this host (no " + file + ")");
        CORRAL_TRY(write_file(dir, file, value).context("linux.resources.hugepageLimits"));
        if (!rsvd) continue;
        auto r = write_file(dir, prefix + ".rsvd.limit_in_bytes", value);
        if (!r.ok()) {
            if (r.error().err != ENOENT)
                return std::move(r).context("linux.resources.hugepageLimits");
            rsvd = false;
        }
    }
    return {};
}

} // namespace corral::cgroups::v1
