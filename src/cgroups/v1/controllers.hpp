// cgroup v1 controllers, one file each, for legacy and hybrid hosts. Each
// works through the directory fd of the container's group in that
// controller's hierarchy; fields that are unset are not written, so `update`
// with a partial Resources changes only what it names. Values follow runc.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cgroups/stats.hpp"
#include "common/result.hpp"
#include "spec/spec.hpp"

namespace corral::cgroups::v1 {

// The v1 controllers r needs ("memory", "cpu", "cpuset", "pids", "blkio",
// "hugetlb", "net_cls", "net_prio", "rdma"; devices and freezer are always
// used and not listed).
std::set<std::string> required_controllers(const spec::Resources& r);

// Memory: limit, reservation → memory.soft_limit_in_bytes, swap →
// memory.memsw.limit_in_bytes, swappiness, kernelTCP, disableOOMKiller →
// memory.oom_control. limit and memsw are written in the order the kernel
// accepts (memsw must stay ≥ limit at every step). When checkBeforeUpdate is
// set and update is true, a limit below current usage is refused.
Status apply_memory(int dir, const spec::Memory& m, bool update);
// cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us, cpu.cfs_burst_us,
// cpu.rt_period_us, cpu.rt_runtime_us (each order as the kernel needs it).
Status apply_cpu(int dir, const spec::Cpu& c);
Status apply_cpuset(int dir, const spec::Cpu& c);
// A new cpuset group starts empty, and no task can join it until cpus and
// mems are set: copies the parent's values into dir where they are empty.
Status inherit_cpuset(int parent_dir, int dir);
Status apply_pids(int dir, const spec::Pids& p);
Status apply_blkio(int dir, const spec::BlockIo& b);
Status apply_hugetlb(int dir, const std::vector<spec::HugepageLimit>& limits);
Status apply_net_cls(int dir, const spec::Network& n);
Status apply_net_prio(int dir, const spec::Network& n);
Status apply_rdma(int dir, const std::map<std::string, spec::Rdma>& rdma);

// Freezer: writes FROZEN and waits until freezer.state reads FROZEN
// (retrying, since a forking process can keep it at FREEZING); thaw writes
// THAWED.
Status freeze(int dir);
Status thaw(int dir);
Result<bool> frozen(int dir);

// Statistics, each from its controller's group; missing files leave zeros.
void read_cpu_stats(int cpu_dir, int cpuacct_dir, CpuStats& out);
void read_memory_stats(int dir, MemoryStats& out);
void read_pids_stats(int dir, PidsStats& out);
void read_blkio_stats(int dir, BlkioStats& out);
void read_hugetlb_stats(int dir, std::map<std::string, HugetlbStats>& out);
// memory.oom_control's oom_kill counter.
Result<uint64_t> read_oom_kills(int dir);

} // namespace corral::cgroups::v1
