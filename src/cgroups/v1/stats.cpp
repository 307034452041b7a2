// Statistics from v1 control files, in runc's shape. Stats are best effort:
// a missing or unreadable file leaves its zeros, since which files exist
// depends on the kernel's version and configuration.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "cgroups/files.hpp"
#include "cgroups/v1/controllers.hpp"
#include "common/unique_fd.hpp"

namespace corral::cgroups::v1 {

namespace {

uint64_t number(int dir, const std::string& name) {
    if (dir < 0) return 0;
    auto text = read_file(dir, name);
    if (!text) return 0;
    auto v = parse_value(*text);
    return v ? *v : 0;
}

std::vector<uint64_t> numbers(int dir, const std::string& name) {
    std::vector<uint64_t> out;
    auto text = read_file(dir, name);
    if (!text) return out;
    for (const auto& w : split_words(*text)) {
        auto v = parse_value(w);
        out.push_back(v ? *v : 0);
    }
    return out;
}

std::map<std::string, uint64_t> keyed(int dir, const std::string& name) {
    if (dir < 0) return {};
    auto text = read_file(dir, name);
    return text ? parse_flat_keyed(*text) : std::map<std::string, uint64_t>{};
}

uint64_t get(const std::map<std::string, uint64_t>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? 0 : it->second;
}

void read_entry(int dir, const std::string& prefix, MemoryEntry& e) {
    e.usage = number(dir, prefix + "usage_in_bytes");
    e.max = number(dir, prefix + "max_usage_in_bytes");
    e.failcnt = number(dir, prefix + "failcnt");
    e.limit = number(dir, prefix + "limit_in_bytes");
}

// "8:0 Read 4096" lines; the last line, "Total N" without a device, sums
// every device and is not an entry.
std::vector<BlkioEntry> parse_blkio(const std::string& text) {
    std::vector<BlkioEntry> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto w = split_words(line);
        if (w.size() != 3) continue;
        auto colon = w[0].find(':');
        if (colon == std::string::npos) continue;
        auto major = parse_value(w[0].substr(0, colon));
        auto minor = parse_value(w[0].substr(colon + 1));
        auto value = parse_value(w[2]);
        if (!major || !minor || !value) continue;
        out.push_back({*major, *minor, w[1], *value});
    }
    return out;
}

std::vector<BlkioEntry> blkio_file(int dir, const char* name) {
    auto text = read_file(dir, name);
    return text ? parse_blkio(*text) : std::vector<BlkioEntry>{};
}

} // namespace

void read_cpu_stats(int cpu_dir, int cpuacct_dir, CpuStats& out) {
    if (cpuacct_dir >= 0) {
        out.total = number(cpuacct_dir, "cpuacct.usage");
        out.percpu = numbers(cpuacct_dir, "cpuacct.usage_percpu");
        out.percpu_kernel = numbers(cpuacct_dir, "cpuacct.usage_percpu_sys");
        out.percpu_user = numbers(cpuacct_dir, "cpuacct.usage_percpu_user");
        // cpuacct.stat counts USER_HZ ticks, not nanoseconds.
        long hz = ::sysconf(_SC_CLK_TCK);
        uint64_t ns_per_tick = hz > 0 ? 1000000000ULL / static_cast<uint64_t>(hz) : 10000000ULL;
        auto stat = keyed(cpuacct_dir, "cpuacct.stat");
        out.user = get(stat, "user") * ns_per_tick;
        out.kernel = get(stat, "system") * ns_per_tick;
    }
    auto throttling = keyed(cpu_dir, "cpu.stat");
    out.periods = get(throttling, "nr_periods");
    out.throttled_periods = get(throttling, "nr_throttled");
    out.throttled_time = get(throttling, "throttled_time");
}

void read_memory_stats(int dir, MemoryStats& out) {
    read_entry(dir, "memory.", out.usage);
    // memsw is memory+swap in v1; runc reports it as "swap" unchanged.
    read_entry(dir, "memory.memsw.", out.swap);
    read_entry(dir, "memory.kmem.", out.kernel);
    read_entry(dir, "memory.kmem.tcp.", out.kernel_tcp);
    out.raw = keyed(dir, "memory.stat");
    out.cache = get(out.raw, "cache");
}

void read_pids_stats(int dir, PidsStats& out) {
    out.current = number(dir, "pids.current");
    uint64_t max = number(dir, "pids.max");
    out.limit = max == kMax ? 0 : max;
}

void read_blkio_stats(int dir, BlkioStats& out) {
    // runc's order: BFQ's accounting, then CFQ's, then the throttle
    // layer's (always there), recursive before the plain files of old
    // kernels. The first whose bytes file names a device wins.
    static const char* const kSources[][2] = {
        {"blkio.bfq.io_service_bytes_recursive", "blkio.bfq.io_serviced_recursive"},
        {"blkio.io_service_bytes_recursive", "blkio.io_serviced_recursive"},
        {"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive"},
        {"blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced"},
    };
    for (const auto& src : kSources) {
        auto bytes = blkio_file(dir, src[0]);
        if (bytes.empty()) continue;
        out.io_service_bytes_recursive = std::move(bytes);
        out.io_serviced_recursive = blkio_file(dir, src[1]);
        return;
    }
}

void read_hugetlb_stats(int dir, std::map<std::string, HugetlbStats>& out) {
    // The page sizes are those the group has files for: "hugetlb.<size>.*",
    // where <size> has no dot (the rsvd files have one more component).
    UniqueFd fd(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return;
    DIR* d = ::fdopendir(fd.get());
    if (!d) return;
    fd.release();
    std::vector<std::string> sizes;
    const std::string prefix = "hugetlb.", suffix = ".usage_in_bytes";
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        std::string size = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        if (size.find('.') == std::string::npos) sizes.push_back(size);
    }
    ::closedir(d);
    for (const auto& size : sizes) {
        std::string p = prefix + size + ".";
        HugetlbStats& h = out[size];
        h.usage = number(dir, p + "usage_in_bytes");
        h.max = number(dir, p + "max_usage_in_bytes");
        h.failcnt = number(dir, p + "failcnt");
    }
}

Result<uint64_t> read_oom_kills(int dir) {
    auto text = read_file(dir, "memory.oom_control");
    if (!text) return text.error();
    // Kernels before 4.13 have no oom_kill line: no count, so 0.
    return get(parse_flat_keyed(*text), "oom_kill");
}

} // namespace corral::cgroups::v1
