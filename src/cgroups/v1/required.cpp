// Which v1 controllers a Resources needs. Mirrors what the apply_*
// functions would write: a field they skip (0 where runc reads 0 as unset,
// the ignored kernel memory limit) needs no controller, so a host without it
// is not refused for nothing.
#include "cgroups/v1/controllers.hpp"

namespace corral::cgroups::v1 {

namespace {

template <typename T> bool nonzero(const std::optional<T>& v) {
    return v && *v != 0;
}

bool needs_memory(const spec::Memory& m) {
    return nonzero(m.limit) || nonzero(m.reservation) || nonzero(m.swap) || nonzero(m.kernel_tcp) ||
           (m.swappiness && *m.swappiness != UINT64_MAX) || m.disable_oom_killer.value_or(false);
}

bool needs_cpu(const spec::Cpu& c) {
    return nonzero(c.shares) || nonzero(c.quota) || nonzero(c.period) || c.burst.has_value() ||
           nonzero(c.realtime_runtime) || nonzero(c.realtime_period) || c.idle.has_value();
}

bool needs_blkio(const spec::BlockIo& b) {
    bool weights = nonzero(b.weight) || nonzero(b.leaf_weight);
    for (const auto& d : b.weight_device)
        weights = weights || nonzero(d.weight) || nonzero(d.leaf_weight);
    return weights || !b.throttle_read_bps.empty() || !b.throttle_write_bps.empty() ||
           !b.throttle_read_iops.empty() || !b.throttle_write_iops.empty();
}

bool needs_rdma(const std::map<std::string, spec::Rdma>& rdma) {
    for (const auto& [dev, l] : rdma)
        if (l.hca_handles || l.hca_objects) return true;
    return false;
}

} // namespace

std::set<std::string> required_controllers(const spec::Resources& r) {
    std::set<std::string> out;
    if (r.memory && needs_memory(*r.memory)) out.insert("memory");
    if (r.cpu && needs_cpu(*r.cpu)) out.insert("cpu");
    if (r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty())) out.insert("cpuset");
    if (r.pids && nonzero(r.pids->limit)) out.insert("pids");
    if (r.block_io && needs_blkio(*r.block_io)) out.insert("blkio");
    if (!r.hugepage_limits.empty()) out.insert("hugetlb");
    if (r.network && r.network->class_id) out.insert("net_cls");
    if (r.network && !r.network->priorities.empty()) out.insert("net_prio");
    if (needs_rdma(r.rdma)) out.insert("rdma");
    return out;
}

} // namespace corral::cgroups::v1
