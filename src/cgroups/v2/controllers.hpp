// cgroup v2 controllers, one file each. Every function works through the
// container group's directory fd; fields that are unset are not written, so
// `update` with a partial Resources changes only what it names. Conversions
// from the OCI (v1-shaped) values follow runc and crun.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cgroups/stats.hpp"
#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::cgroups::v2 {

// Refuses what v2 cannot express, naming the field (swappiness other than
// 0, disableOOMKiller, kernel memory limits, realtime cpu, network classID
// and priorities). Pure: runs before any group exists.
Status check_resources(const spec::Resources& r);

// The controllers r needs enabled in cgroup.subtree_control down to the
// container's group, in the order the kernel wants them (cpuset first);
// keys of `unified` count by their prefix ("memory.high" → "memory").
std::vector<std::string> required_controllers(const spec::Resources& r);

Status apply_memory(int dir, const spec::Memory& m);
Status apply_cpu(int dir, const spec::Cpu& c);    // cpu.weight, cpu.max, cpu.max.burst, cpu.idle
Status apply_cpuset(int dir, const spec::Cpu& c); // cpuset.cpus, cpuset.mems
Status apply_pids(int dir, const spec::Pids& p);
Status apply_io(int dir, const spec::BlockIo& b);
Status apply_hugetlb(int dir, const std::vector<spec::HugepageLimit>& limits);
Status apply_rdma(int dir, const std::map<std::string, spec::Rdma>& rdma);
// enabled: the controllers in the group's cgroup.controllers. A key whose
// controller is not enabled, or whose file does not exist, is refused.
Status apply_unified(int dir, const std::map<std::string, std::string>& unified,
                     const std::vector<std::string>& enabled);
// Everything but devices (the eBPF program is the Manager's), in a fixed
// order: cpuset, cpu, memory, pids, io, hugetlb, rdma, then unified last so
// it can override.
Status apply_all(int dir, const spec::Resources& r, const std::vector<std::string>& enabled);

// Pure conversions, exposed for the unit tests.
uint64_t shares_to_weight(uint64_t shares);              // cpu.shares → cpu.weight
uint64_t blkio_weight_to_io_weight(uint64_t weight);     // [10,1000] → [1,10000]
Result<int64_t> swap_to_v2(int64_t swap, int64_t limit); // memsw → memory.swap.max, -1 = max

// Statistics; a controller that is not enabled leaves its zeros.
Stats read_stats(int dir);

} // namespace corral::cgroups::v2
