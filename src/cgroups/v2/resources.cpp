// What the whole Resources block asks of a v2 group: the refusals that need
// no group, the controllers to enable, and applying it in a fixed order.
#include <algorithm>
#include <string>

#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

namespace detail {
Status check_unified_key(const std::string& key); // unified.cpp
} // namespace detail

namespace {

Error refuse(const std::string& field, const std::string& why) {
    return plain_error("linux.resources." + field + ":", why);
}

bool nonzero(const std::optional<int64_t>& v) {
    return v && *v != 0;
}
bool nonzero(const std::optional<uint64_t>& v) {
    return v && *v != 0;
}

// What apply_memory would write something for.
bool memory_set(const spec::Memory& m) {
    return nonzero(m.limit) || nonzero(m.reservation) || nonzero(m.swap);
}

bool cpu_set(const spec::Cpu& c) {
    return nonzero(c.shares) || nonzero(c.quota) || nonzero(c.period) || c.burst || c.idle;
}

bool io_set(const spec::BlockIo& b) {
    bool weight = b.weight && *b.weight != 0;
    for (const auto& wd : b.weight_device)
        weight = weight || (wd.weight && *wd.weight != 0);
    return weight || !b.throttle_read_bps.empty() || !b.throttle_write_bps.empty() ||
           !b.throttle_read_iops.empty() || !b.throttle_write_iops.empty();
}

Status check_memory(const spec::Memory& m) {
    if (m.swappiness && *m.swappiness != 0)
        return refuse("memory.swappiness",
                      "cgroup v2 has no swappiness; only 0 or unset is accepted");
    if (m.disable_oom_killer.value_or(false))
        return refuse("memory.disableOOMKiller", "cgroup v2 cannot disable the OOM killer");
    // -1 ("unlimited") is what v2 gives anyway: nothing goes unenforced.
    if (m.kernel && *m.kernel != 0 && *m.kernel != -1)
        return refuse("memory.kernel", "cgroup v2 has no separate kernel memory limit");
    if (m.kernel_tcp && *m.kernel_tcp != 0 && *m.kernel_tcp != -1)
        return refuse("memory.kernelTCP", "cgroup v2 has no separate kernel TCP memory limit");
    if (m.limit && *m.limit < -1)
        return refuse("memory.limit", "invalid value " + std::to_string(*m.limit));
    if (m.reservation && *m.reservation < -1)
        return refuse("memory.reservation", "invalid value " + std::to_string(*m.reservation));
    if (m.swap) {
        auto v = swap_to_v2(*m.swap, m.limit.value_or(0));
        if (!v) return v.error();
    }
    return {};
}

Status check_cpu(const spec::Cpu& c) {
    if (nonzero(c.realtime_runtime))
        return refuse("cpu.realtimeRuntime", "cgroup v2 has no realtime cpu budget");
    if (nonzero(c.realtime_period))
        return refuse("cpu.realtimePeriod", "cgroup v2 has no realtime cpu budget");
    if (c.idle && *c.idle != 0 && *c.idle != 1)
        return refuse("cpu.idle", "must be 0 or 1, not " + std::to_string(*c.idle));
    // The kernel refuses cpu.weight in an idle group.
    if (c.idle && *c.idle == 1 && nonzero(c.shares))
        return refuse("cpu.idle", "cannot be 1 together with linux.resources.cpu.shares");
    if (c.quota && *c.quota < -1)
        return refuse("cpu.quota", "invalid value " + std::to_string(*c.quota));
    return {};
}

Status check_weight(const std::optional<uint16_t>& w, const char* field) {
    // 0 is unset (runc); otherwise blkio's range, which the io.weight
    // conversion and BFQ both assume.
    if (w && *w != 0 && (*w < 10 || *w > 1000))
        return refuse(field, "must be between 10 and 1000, not " + std::to_string(*w));
    return {};
}

Status check_io(const spec::BlockIo& b) {
    if (b.leaf_weight && *b.leaf_weight != 0)
        return refuse("blockIO.leafWeight", "cgroup v2 has no leaf weight");
    CORRAL_TRY(check_weight(b.weight, "blockIO.weight"));
    for (const auto& wd : b.weight_device) {
        if (wd.leaf_weight && *wd.leaf_weight != 0)
            return refuse("blockIO.weightDevice.leafWeight", "cgroup v2 has no leaf weight");
        CORRAL_TRY(check_weight(wd.weight, "blockIO.weightDevice.weight"));
    }
    return {};
}

bool is_page_size(const std::string& s) {
    // "2MB", "1GB", "64KB": digits, then a unit.
    size_t n = s.find_first_not_of("0123456789");
    if (n == 0 || n == std::string::npos) return false;
    std::string unit = s.substr(n);
    return unit == "KB" || unit == "MB" || unit == "GB" || unit == "TB" || unit == "PB";
}

} // namespace

Status check_resources(const spec::Resources& r) {
    if (r.memory) CORRAL_TRY(check_memory(*r.memory));
    if (r.cpu) CORRAL_TRY(check_cpu(*r.cpu));
    if (r.block_io) CORRAL_TRY(check_io(*r.block_io));
    if (r.network) {
        if (r.network->class_id && *r.network->class_id != 0)
            return refuse("network.classID", "cgroup v2 has no net_cls controller");
        if (!r.network->priorities.empty())
            return refuse("network.priorities", "cgroup v2 has no net_prio controller");
    }
    for (const auto& h : r.hugepage_limits)
        if (!is_page_size(h.page_size))
            return refuse("hugepageLimits", "invalid page size \"" + h.page_size + "\"");
    for (const auto& [dev, _] : r.rdma)
        if (dev.empty() || dev.find_first_of(" \t\n") != std::string::npos)
            return refuse("rdma", "invalid device name \"" + dev + "\"");
    for (const auto& [key, _] : r.unified)
        CORRAL_TRY(detail::check_unified_key(key));
    return {};
}

std::vector<std::string> required_controllers(const spec::Resources& r) {
    std::vector<std::string> want;
    if (r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty())) want.push_back("cpuset");
    if (r.cpu && cpu_set(*r.cpu)) want.push_back("cpu");
    if (r.block_io && io_set(*r.block_io)) want.push_back("io");
    if (r.memory && memory_set(*r.memory)) want.push_back("memory");
    if (!r.hugepage_limits.empty()) want.push_back("hugetlb");
    if (r.pids && nonzero(r.pids->limit)) want.push_back("pids");
    if (!r.rdma.empty()) want.push_back("rdma");
    for (const auto& [key, _] : r.unified) {
        auto dot = key.find('.');
        if (dot == 0 || dot == std::string::npos) continue; // refused by check_resources
        want.push_back(key.substr(0, dot));
    }

    // The kernel order (cpuset before cpu...), then the rest as met; the
    // core "cgroup." files need no controller.
    static const char* const order[] = {"cpuset",  "cpu",  "io",   "memory",
                                        "hugetlb", "pids", "rdma", "misc"};
    std::vector<std::string> out;
    for (const char* c : order)
        if (std::find(want.begin(), want.end(), c) != want.end()) out.push_back(c);
    for (const auto& c : want)
        if (c != "cgroup" && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    return out;
}

Status apply_all(int dir, const spec::Resources& r, const std::vector<std::string>& enabled) {
    CORRAL_TRY(check_resources(r));
    if (r.cpu) CORRAL_TRY(apply_cpuset(dir, *r.cpu));
    if (r.cpu) CORRAL_TRY(apply_cpu(dir, *r.cpu));
    if (r.memory) CORRAL_TRY(apply_memory(dir, *r.memory));
    if (r.pids) CORRAL_TRY(apply_pids(dir, *r.pids));
    if (r.block_io) CORRAL_TRY(apply_io(dir, *r.block_io));
    CORRAL_TRY(apply_hugetlb(dir, r.hugepage_limits));
    CORRAL_TRY(apply_rdma(dir, r.rdma));
    // Last, so a raw value overrides the typed field it overlaps.
    return apply_unified(dir, r.unified, enabled);
}

} // namespace corral::cgroups::v2
