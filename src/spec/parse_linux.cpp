// The "linux" section of config.json; split from parse.cpp only for size.
#include "spec/parse_detail.hpp"

namespace corral::spec::detail {

Status read(const json& v, const std::string& p, Namespace& out) {
    return Fields(v, p)("type", out.type)("path", out.path).status();
}

Status read(const json& v, const std::string& p, TimeOffset& out) {
    return Fields(v, p)("secs", out.secs)("nanosecs", out.nanosecs).status();
}

Status read(const json& v, const std::string& p, Device& out) {
    Fields f(v, p);
    f("type", out.type)("path", out.path)("major", out.major)("minor", out.minor);
    f("fileMode", out.file_mode)("uid", out.uid)("gid", out.gid);
    return f.status();
}

Status read(const json& v, const std::string& p, DeviceRule& out) {
    Fields f(v, p);
    f("allow", out.allow)("type", out.type)("major", out.major)("minor", out.minor);
    f("access", out.access);
    return f.status();
}

Status read(const json& v, const std::string& p, Memory& out) {
    Fields f(v, p);
    f("limit", out.limit)("reservation", out.reservation)("swap", out.swap);
    f("kernel", out.kernel)("kernelTCP", out.kernel_tcp)("swappiness", out.swappiness);
    f("disableOOMKiller", out.disable_oom_killer)("useHierarchy", out.use_hierarchy);
    f("checkBeforeUpdate", out.check_before_update);
    return f.status();
}

Status read(const json& v, const std::string& p, Cpu& out) {
    Fields f(v, p);
    f("shares", out.shares)("quota", out.quota)("burst", out.burst)("period", out.period);
    f("realtimeRuntime", out.realtime_runtime)("realtimePeriod", out.realtime_period);
    f("cpus", out.cpus)("mems", out.mems)("idle", out.idle);
    return f.status();
}

Status read(const json& v, const std::string& p, Pids& out) {
    return Fields(v, p)("limit", out.limit).status();
}

Status read(const json& v, const std::string& p, WeightDevice& out) {
    Fields f(v, p);
    f("major", out.major)("minor", out.minor)("weight", out.weight)("leafWeight", out.leaf_weight);
    return f.status();
}

Status read(const json& v, const std::string& p, ThrottleDevice& out) {
    return Fields(v, p)("major", out.major)("minor", out.minor)("rate", out.rate).status();
}

Status read(const json& v, const std::string& p, BlockIo& out) {
    Fields f(v, p);
    f("weight", out.weight)("leafWeight", out.leaf_weight)("weightDevice", out.weight_device);
    f("throttleReadBpsDevice", out.throttle_read_bps);
    f("throttleWriteBpsDevice", out.throttle_write_bps);
    f("throttleReadIOPSDevice", out.throttle_read_iops);
    f("throttleWriteIOPSDevice", out.throttle_write_iops);
    return f.status();
}

Status read(const json& v, const std::string& p, HugepageLimit& out) {
    return Fields(v, p)("pageSize", out.page_size)("limit", out.limit).status();
}

Status read(const json& v, const std::string& p, NetworkPriority& out) {
    return Fields(v, p)("name", out.name)("priority", out.priority).status();
}

Status read(const json& v, const std::string& p, Network& out) {
    return Fields(v, p)("classID", out.class_id)("priorities", out.priorities).status();
}

Status read(const json& v, const std::string& p, Rdma& out) {
    return Fields(v, p)("hcaHandles", out.hca_handles)("hcaObjects", out.hca_objects).status();
}

Status read(const json& v, const std::string& p, Resources& out) {
    Fields f(v, p);
    f("devices", out.devices)("memory", out.memory)("cpu", out.cpu)("pids", out.pids);
    f("blockIO", out.block_io)("hugepageLimits", out.hugepage_limits);
    f("network", out.network)("rdma", out.rdma)("unified", out.unified);
    return f.status();
}

Status read(const json& v, const std::string& p, SeccompArg& out) {
    Fields f(v, p);
    f("index", out.index)("value", out.value)("valueTwo", out.value_two)("op", out.op);
    return f.status();
}

Status read(const json& v, const std::string& p, SeccompSyscall& out) {
    Fields f(v, p);
    f("names", out.names)("action", out.action)("errnoRet", out.errno_ret)("args", out.args);
    return f.status();
}

Status read(const json& v, const std::string& p, Seccomp& out) {
    Fields f(v, p);
    f("defaultAction", out.default_action)("defaultErrnoRet", out.default_errno_ret);
    f("architectures", out.architectures)("flags", out.flags);
    f("listenerPath", out.listener_path)("listenerMetadata", out.listener_metadata);
    f("syscalls", out.syscalls);
    return f.status();
}

Status read(const json& v, const std::string& p, IntelRdt& out) {
    Fields f(v, p);
    f("closID", out.clos_id)("l3CacheSchema", out.l3_cache_schema);
    f("memBwSchema", out.mem_bw_schema)("schemata", out.schemata);
    f("enableCMT", out.enable_cmt)("enableMBM", out.enable_mbm);
    return f.status();
}

Status read(const json& v, const std::string& p, MemoryPolicy& out) {
    return Fields(v, p)("mode", out.mode)("nodes", out.nodes)("flags", out.flags).status();
}

Status read(const json& v, const std::string& p, NetDevice& out) {
    return Fields(v, p)("name", out.name).status();
}

Status read(const json& v, const std::string& p, Personality& out) {
    return Fields(v, p)("domain", out.domain)("flags", out.flags).status();
}

Status read(const json& v, const std::string& p, Linux& out) {
    Fields f(v, p);
    f("namespaces", out.namespaces)("uidMappings", out.uid_mappings);
    f("gidMappings", out.gid_mappings)("timeOffsets", out.time_offsets);
    f("devices", out.devices)("cgroupsPath", out.cgroups_path)("resources", out.resources);
    f("intelRdt", out.intel_rdt)("memoryPolicy", out.memory_policy);
    f("netDevices", out.net_devices)("sysctl", out.sysctl)("seccomp", out.seccomp);
    f("rootfsPropagation", out.rootfs_propagation)("maskedPaths", out.masked_paths);
    f("readonlyPaths", out.readonly_paths)("mountLabel", out.mount_label);
    f("personality", out.personality);
    return f.status();
}

} // namespace corral::spec::detail
