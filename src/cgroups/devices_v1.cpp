#include "cgroups/devices_v1.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroups/device_rules.hpp"
#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

namespace corral::cgroups {

Result<std::vector<DeviceRuleLine>> device_rule_lines(const std::vector<spec::DeviceRule>& rules) {
    auto effective = effective_device_rules(rules);
    if (!effective.ok()) return effective.error();
    // Written in this order they leave the kernel in exactly this state: "a"
    // empties the exception list and sets the default, each exception adds to it.
    std::vector<DeviceRuleLine> out;
    for (const auto& r : *effective)
        out.push_back({r.allow, is_whole_wildcard(r) ? "a" : to_string(r)});
    return out;
}

std::string devices_v1_mountpoint() {
    struct statfs fs {};
    // A pure cgroup2 host filters devices with eBPF instead (issue 4).
    if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return "";
    if (statfs("/sys/fs/cgroup/devices", &fs) == 0 && fs.f_type == CGROUP_SUPER_MAGIC &&
        access("/sys/fs/cgroup/devices/devices.allow", F_OK) == 0)
        return "/sys/fs/cgroup/devices";
    return "";
}

Status write_device_rules(int dir_fd, const std::vector<DeviceRuleLine>& lines) {
    for (const auto& l : lines) {
        const char* file = l.allow ? "devices.allow" : "devices.deny";
        UniqueFd fd(::openat(dir_fd, file, O_WRONLY | O_CLOEXEC));
        if (!fd) return sys_error("open", file);
        if (sys::write_all(fd.get(), l.rule.data(), l.rule.size()) < 0)
            return sys_error(std::string("write ") + file, "\"" + l.rule + "\"");
    }
    return {};
}

} // namespace corral::cgroups
