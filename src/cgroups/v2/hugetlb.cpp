// The hugetlb controller: one limit per huge page size.
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

Status apply_hugetlb(int dir, const std::vector<spec::HugepageLimit>& limits) {
    const char* field = "linux.resources.hugepageLimits:";
    for (const auto& h : limits) {
        // The size becomes part of a file name: never a path.
        if (h.page_size.empty() || h.page_size.find_first_of("/.") != std::string::npos)
            return plain_error(field, "invalid page size \"" + h.page_size + "\"");
        std::string prefix = "hugetlb." + h.page_size;
        if (!file_exists(dir, prefix + ".max"))
            return plain_error(field, "page size " + h.page_size + " is not supported here (no " +
                                          prefix + ".max)");
        std::string v = std::to_string(h.limit);
        CORRAL_TRY(write_file(dir, prefix + ".max", v).context("linux.resources.hugepageLimits"));
        // Reservations (kernel 5.7+) are limited too, as runc does: without
        // it a task could reserve pages at mmap time beyond the limit and
        // fault later with SIGBUS instead of failing the mmap.
        if (file_exists(dir, prefix + ".rsvd.max"))
            CORRAL_TRY(
                write_file(dir, prefix + ".rsvd.max", v).context("linux.resources.hugepageLimits"));
    }
    return {};
}

} // namespace corral::cgroups::v2
