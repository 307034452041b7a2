// The device allow-list both backends enforce: the v1 `devices` controller
// (devices_v1.hpp) and the cgroup v2 eBPF filter (v2/devices_bpf.hpp). The
// config's rules are folded here, once, into the state the v1 controller
// would end up in after they were written one by one, so the two backends
// cannot disagree and the eBPF filter behaves like runc's.
//
// The fold, in order: deny everything, allow the runtime's defaults, then
// each config rule:
//  - "a *:* rwm" (type "a" or empty, no numbers, access "rwm" or empty):
//    deny restarts from the defaults; allow switches to allowing everything
//    with no exceptions (privileged containers);
//  - a rule whose action is the opposite of the current default adds an
//    exception, merging its access into an exception with the same type and
//    numbers;
//  - a rule whose action is the default takes its access away from the
//    exception with exactly the same type and numbers (the kernel does the
//    same: "c 1:* rwm" is not touched by a deny of "c 1:3 rw", nor "c 1:3"
//    by a deny of "c 1:*"). A wildcard cannot have holes, so taking access
//    out of a wildcard an earlier config rule added is refused, like runc;
//    inside the runtime's default wildcards ("c *:* m", "c 136:* rwm") it is
//    left, which is also runc's outcome since runc adds its defaults last;
//  - type "a" with numbers or a partial access stands for the same rule on
//    "c" and on "b" (the v1 controller would read any "a" line as "a *:*
//    rwm", which would turn "allow a 1:3 r" into allow-everything).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::cgroups {

// Access bits: the kernel's own values (BPF_DEVCG_ACC_* and the v1
// controller's), so the eBPF filter uses them unchanged.
inline constexpr unsigned kDeviceMknod = 1;
inline constexpr unsigned kDeviceRead = 2;
inline constexpr unsigned kDeviceWrite = 4;
inline constexpr unsigned kDeviceAllAccess = kDeviceMknod | kDeviceRead | kDeviceWrite;

struct DeviceAccessRule {
    bool allow = false;
    char type = 'a';                    // 'a' (block and char), 'b' or 'c'
    int64_t major = -1;                 // -1 = any
    int64_t minor = -1;                 // -1 = any
    unsigned access = kDeviceAllAccess; // kDevice* bits

    bool operator==(const DeviceAccessRule&) const = default;
};

// "a *:* rwm": the rule that sets what nothing else matches.
bool is_whole_wildcard(const DeviceAccessRule& r);

// The v1 syntax without the action ("c 1:* rw", "a *:* rwm"), for the v1
// lines and messages.
std::string to_string(const DeviceAccessRule& r);

// Validates the config's rules and folds them as described above. The result
// starts with the whole wildcard giving the default; the rest are its
// exceptions, all with the opposite action, type 'b' or 'c', nonzero access,
// at most one per (type, major, minor), in the order they first appeared.
// An access request (one type, exact numbers) is allowed when the default is
// deny and one exception holds all its bits, or when the default is allow and
// no matching exception holds any of them (the kernel's v1 checks).
Result<std::vector<DeviceAccessRule>>
effective_device_rules(const std::vector<spec::DeviceRule>& rules);

} // namespace corral::cgroups
