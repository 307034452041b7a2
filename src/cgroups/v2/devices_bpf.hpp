// The device allow-list on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program
// generated from the effective rules (cgroups/device_rules.hpp), loaded and
// attached with raw bpf(2). The kernel runs it on every open and mknod of a
// device node by a process of the group (and of its descendants); it returns
// 1 to allow, 0 to deny with EPERM.
#pragma once

#include <vector>

#include <linux/bpf.h>

#include "cgroups/device_rules.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "spec/spec.hpp"

namespace corral::cgroups::v2 {

// Pure. The last rule that is "a *:* rwm" sets the default (deny when there is
// none) and the rules before it are dropped; the rules after it are checked
// latest first and the first that matches decides, so a later rule wins. An
// allow rule matches a request whose access bits it all holds, a deny rule a
// request sharing any bit with it, the kernel's v1 checks: on the folded list
// of effective_device_rules (one default, exceptions all the other way) the
// program decides exactly like the v1 controller given the same list.
// Checks for "any" (type 'a', number -1, access rwm) are not emitted.
std::vector<struct bpf_insn> device_filter_program(const std::vector<DeviceAccessRule>& rules);

// BPF_PROG_LOAD as BPF_PROG_TYPE_CGROUP_DEVICE; on failure the error carries
// the verifier's log.
Result<UniqueFd> load_device_filter(const std::vector<struct bpf_insn>& insns);

// Attaches prog_fd to the cgroup as its device filter (BPF_CGROUP_DEVICE,
// BPF_F_ALLOW_MULTI), replacing what is already attached there so the group
// is never without a filter and does not end up with two:
//  - none attached: a plain attach;
//  - one or more: the first the query lists is replaced atomically
//    (BPF_F_REPLACE), then any others are detached, as runc does (a group has
//    one device filter; a leftover would deny on its own what the new rules
//    allow). Programs the LSM keeps us from opening are left alone: filters
//    only ever deny, so they cannot undo ours;
//  - kernels before 5.6 (no BPF_F_REPLACE): attach, then detach the old ones,
//    so for a moment both apply, which only denies more.
// Concurrent updates of the same group are retried (an old program vanishing
// between the query and the attach).
Status attach_device_filter(int cgroup_dir_fd, int prog_fd);

// effective_device_rules → device_filter_program → load → attach.
Status apply_device_filter(int cgroup_dir_fd, const std::vector<spec::DeviceRule>& rules);

} // namespace corral::cgroups::v2
