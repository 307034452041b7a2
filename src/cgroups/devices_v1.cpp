#include "cgroups/devices_v1.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "common/syscalls.hpp"
#include "common/unique_fd.hpp"

namespace corral::cgroups {

namespace {

// What every container may use whatever its config says (runc allows the
// same): mknod of any node, and the standard character devices.
const char* const kDefaultAllow[] = {
    "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
    "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

std::string number(const std::optional<int64_t>& v) {
    return v && *v >= 0 ? std::to_string(*v) : "*";
}

} // namespace

Result<std::vector<DeviceRuleLine>> device_rule_lines(const std::vector<spec::DeviceRule>& rules) {
    std::vector<DeviceRuleLine> out;
    // In v1, writing "a" to devices.deny empties the whole allow list, so a
    // deny-all (the first rule of nearly every config) restarts from the
    // runtime's defaults instead of wiping them.
    auto deny_all = [&out] {
        out.push_back({false, "a"});
        for (const char* r : kDefaultAllow)
            out.push_back({true, r});
    };
    deny_all();
    for (size_t i = 0; i < rules.size(); ++i) {
        const auto& r = rules[i];
        std::string where = "linux.resources.devices[" + std::to_string(i) + "]:";
        std::string type = r.type.empty() ? "a" : r.type;
        if (type != "a" && type != "b" && type != "c")
            return plain_error(where, "unknown device type \"" + type + "\"");
        std::string access = r.access.empty() ? "rwm" : r.access;
        if (access.find_first_not_of("rwm") != std::string::npos)
            return plain_error(where, "bad access \"" + access + "\"");
        if (type == "a" && !r.major && !r.minor) {
            if (!r.allow && access == "rwm")
                deny_all();
            else
                out.push_back({r.allow, access == "rwm" ? "a" : "a *:* " + access});
            continue;
        }
        out.push_back(
            {r.allow, type + " " + number(r.major) + ":" + number(r.minor) + " " + access});
    }
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
