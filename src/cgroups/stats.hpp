// What `events --stats` reports, in runc's shape (types.Stats of runc's
// events), filled by the v2 and v1 controllers alike. Zero means unknown.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace corral::cgroups {

struct CpuStats {
    uint64_t total = 0, kernel = 0, user = 0; // nanoseconds
    std::vector<uint64_t> percpu, percpu_kernel, percpu_user;
    uint64_t periods = 0, throttled_periods = 0, throttled_time = 0;
};

struct MemoryEntry {
    uint64_t limit = 0, usage = 0, max = 0, failcnt = 0;
};

struct MemoryStats {
    uint64_t cache = 0;
    MemoryEntry usage, swap, kernel, kernel_tcp;
    std::map<std::string, uint64_t> raw; // memory.stat as read
};

struct PidsStats {
    uint64_t current = 0, limit = 0; // limit 0 = no limit
};

struct BlkioEntry {
    uint64_t major = 0, minor = 0;
    std::string op; // "Read" "Write" "Sync" "Async" "Discard" "Total"
    uint64_t value = 0;
};

struct BlkioStats {
    std::vector<BlkioEntry> io_service_bytes_recursive, io_serviced_recursive;
};

struct HugetlbStats {
    uint64_t usage = 0, max = 0, failcnt = 0;
};

struct Stats {
    CpuStats cpu;
    MemoryStats memory;
    PidsStats pids;
    BlkioStats blkio;
    std::map<std::string, HugetlbStats> hugetlb; // keyed "2MB", "1GB"
    uint64_t oom_kills = 0;                      // memory.events oom_kill / oom_control
};

} // namespace corral::cgroups
