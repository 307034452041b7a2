#include "runtime/capabilities.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <linux/capability.h>
#include <string>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/capability.h>

#include "common/child_error.hpp"

namespace corral::runtime {

int cap_last_cap() {
    static int cached = -1;
    if (cached >= 0) return cached;
    FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re");
    int v = CAP_LAST_CAP;
    if (f) {
        if (std::fscanf(f, "%d", &v) != 1) v = CAP_LAST_CAP;
        std::fclose(f);
    }
    cached = v;
    return v;
}

static Result<uint64_t> mask_of(const std::vector<std::string>& names, const char* set,
                                std::vector<std::string>* skipped) {
    uint64_t mask = 0;
    for (const auto& n : names) {
        cap_value_t v;
        if (cap_from_name(n.c_str(), &v) != 0 || n.rfind("CAP_", 0) != 0) {
            // libcap knows only the names of its build; a well-formed name it
            // lacks is newer than this libcap and therefore than this kernel.
            bool well_formed =
                n.size() > 4 && n.rfind("CAP_", 0) == 0 &&
                n.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == std::string::npos;
            if (!well_formed)
                return plain_error(std::string("process.capabilities.") + set + ":",
                                   "unknown capability \"" + n + "\"");
            if (skipped) skipped->push_back(n);
            continue;
        }
        if (v > cap_last_cap()) {
            if (skipped) skipped->push_back(n);
            continue;
        }
        mask |= 1ULL << v;
    }
    return mask;
}

Result<CapSets> plan_capabilities(const spec::Capabilities& caps,
                                  std::vector<std::string>* skipped) {
    CapSets s;
    auto b = mask_of(caps.bounding, "bounding", skipped);
    if (!b) return b.error();
    auto e = mask_of(caps.effective, "effective", skipped);
    if (!e) return e.error();
    auto p = mask_of(caps.permitted, "permitted", skipped);
    if (!p) return p.error();
    auto i = mask_of(caps.inheritable, "inheritable", skipped);
    if (!i) return i.error();
    auto a = mask_of(caps.ambient, "ambient", skipped);
    if (!a) return a.error();
    s.bounding = *b;
    s.effective = *e;
    s.permitted = *p;
    s.inheritable = *i;
    s.ambient = *a;
    // The kernel only raises an ambient cap that is permitted and inheritable;
    // runc warns and goes on, so configs written for it (runc spec lists
    // ambient caps without inheritable ones) keep working.
    uint64_t raisable = s.ambient & s.permitted & s.inheritable;
    s.dropped_ambient = s.ambient & ~raisable;
    s.ambient = raisable;
    return s;
}

bool drop_bounding_set(const CapSets& caps) {
    int last = cap_last_cap();
    for (int c = 0; c <= last; ++c) {
        if (caps.bounding & (1ULL << c)) continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return child_fail(errno, "drop capability from bounding set");
    }
    return true;
}

bool apply_capability_sets(const CapSets& caps) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = static_cast<uint32_t>(caps.effective);
    data[1].effective = static_cast<uint32_t>(caps.effective >> 32);
    data[0].permitted = static_cast<uint32_t>(caps.permitted);
    data[1].permitted = static_cast<uint32_t>(caps.permitted >> 32);
    data[0].inheritable = static_cast<uint32_t>(caps.inheritable);
    data[1].inheritable = static_cast<uint32_t>(caps.inheritable >> 32);
    if (syscall(SYS_capset, &hdr, data) < 0) return child_fail(errno, "set capabilities");
    // Ambient caps must also be permitted and inheritable; clear first so
    // nothing inherited from the caller survives (CVE-2022-29162).
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return child_fail(errno, "clear ambient capabilities");
    int last = cap_last_cap();
    for (int c = 0; c <= last; ++c) {
        if (!(caps.ambient & (1ULL << c))) continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
            return child_fail(errno, "raise ambient capability");
    }
    return true;
}

} // namespace corral::runtime

namespace corral::runtime {

bool clear_inherited_capabilities() {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &hdr, data) < 0) return child_fail(errno, "get capabilities");
    data[0].inheritable = data[1].inheritable = 0;
    if (syscall(SYS_capset, &hdr, data) < 0) return child_fail(errno, "set capabilities");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return child_fail(errno, "clear ambient capabilities");
    return true;
}

} // namespace corral::runtime
