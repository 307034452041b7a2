// The device allow-list on hosts whose unified hierarchy cannot filter
// devices (v1/v2 hybrids like this one): a group in the v1 `devices`
// hierarchy given the effective list of device_rules.hpp, which the cgroup v2
// eBPF filter enforces too: "a" to reset (deny or allow everything), then
// its exceptions.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::cgroups {

struct DeviceRuleLine {
    bool allow = false;
    std::string rule; // "c 1:3 rwm", "a"
};

// Pure: what gets written, in order, for a config's rules (validated and
// folded by effective_device_rules).
Result<std::vector<DeviceRuleLine>> device_rule_lines(const std::vector<spec::DeviceRule>& rules);

// The v1 devices mountpoint when device rules must go through v1, else "".
std::string devices_v1_mountpoint();

// Writes the rule lines into an existing group directory (through its fd).
Status write_device_rules(int dir_fd, const std::vector<DeviceRuleLine>& lines);

} // namespace corral::cgroups
