// Statistics of a v2 group in runc's events shape. Each controller's files
// are read only if present, so a controller that is not enabled (or a kernel
// too old for a file) leaves zeros rather than failing the whole report.
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <sstream>
#include <string>
#include <unistd.h>

#include "cgroups/files.hpp"
#include "cgroups/v2/controllers.hpp"

namespace corral::cgroups::v2 {

namespace {

// The keyed content of name, or an empty map when it cannot be read.
std::map<std::string, uint64_t> keyed(int dir, const std::string& name) {
    auto text = read_file(dir, name);
    return text ? parse_flat_keyed(*text) : std::map<std::string, uint64_t>{};
}

// A single value (a number, or "max" as kMax), 0 when absent.
uint64_t single(int dir, const std::string& name) {
    auto text = read_file(dir, name);
    if (!text) return 0;
    auto v = parse_value(*text);
    return v ? *v : 0;
}

uint64_t saturating_add(uint64_t a, uint64_t b) {
    return a > kMax - b ? kMax : a + b;
}

void read_cpu(int dir, CpuStats& cpu) {
    // cpu.stat counts microseconds; runc's shape is nanoseconds.
    auto kv = keyed(dir, "cpu.stat");
    cpu.total = kv["usage_usec"] * 1000;
    cpu.user = kv["user_usec"] * 1000;
    cpu.kernel = kv["system_usec"] * 1000;
    cpu.periods = kv["nr_periods"];
    cpu.throttled_periods = kv["nr_throttled"];
    cpu.throttled_time = kv["throttled_usec"] * 1000;
}

void read_memory(int dir, Stats& s) {
    auto& mem = s.memory;
    if (!file_exists(dir, "memory.current")) return;
    mem.raw = keyed(dir, "memory.stat");
    mem.cache = mem.raw["file"]; // v1's "cache" is v2's page cache, "file"
    mem.usage.usage = single(dir, "memory.current");
    mem.usage.limit = single(dir, "memory.max"); // "max" stays kMax, as runc reports
    mem.usage.max = single(dir, "memory.peak");  // kernel 5.19+
    auto events = keyed(dir, "memory.events");
    // "max" counts the times usage hit memory.max: v1's failcnt.
    mem.usage.failcnt = events["max"];
    s.oom_kills = events["oom_kill"];
    if (file_exists(dir, "memory.swap.current")) {
        // v1 reported memory+swap together; runc keeps that meaning for
        // "swap" in its events, and so do we.
        uint64_t swap_limit = single(dir, "memory.swap.max");
        mem.swap.usage = single(dir, "memory.swap.current") + mem.usage.usage;
        mem.swap.limit = swap_limit == kMax ? kMax : saturating_add(swap_limit, mem.usage.limit);
        mem.swap.failcnt = keyed(dir, "memory.swap.events")["max"];
    }
}

void read_pids(int dir, PidsStats& pids) {
    pids.current = single(dir, "pids.current");
    uint64_t max = single(dir, "pids.max");
    pids.limit = max == kMax ? 0 : max; // 0 is "no limit" in runc's shape
}

// io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" lines.
void read_io(int dir, BlkioStats& io) {
    auto text = read_file(dir, "io.stat");
    if (!text) return;
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
        auto words = split_words(line);
        if (words.empty()) continue;
        unsigned major = 0, minor = 0;
        if (std::sscanf(words[0].c_str(), "%u:%u", &major, &minor) != 2) continue;
        for (size_t i = 1; i < words.size(); ++i) {
            auto eq = words[i].find('=');
            if (eq == std::string::npos) continue;
            std::string key = words[i].substr(0, eq);
            auto v = parse_value(words[i].substr(eq + 1));
            if (!v) continue;
            if (key == "rbytes")
                io.io_service_bytes_recursive.push_back({major, minor, "Read", *v});
            if (key == "wbytes")
                io.io_service_bytes_recursive.push_back({major, minor, "Write", *v});
            if (key == "rios") io.io_serviced_recursive.push_back({major, minor, "Read", *v});
            if (key == "wios") io.io_serviced_recursive.push_back({major, minor, "Write", *v});
        }
    }
}

// Page sizes are those of the hugetlb.<size>.current files the group has.
void read_hugetlb(int dir, std::map<std::string, HugetlbStats>& out) {
    int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) return;
    DIR* d = ::fdopendir(copy);
    if (!d) {
        ::close(copy);
        return;
    }
    std::vector<std::string> sizes;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        const std::string pre = "hugetlb.", suf = ".current";
        if (name.size() <= pre.size() + suf.size() || name.compare(0, pre.size(), pre) != 0 ||
            name.compare(name.size() - suf.size(), suf.size(), suf) != 0)
            continue;
        std::string size = name.substr(pre.size(), name.size() - pre.size() - suf.size());
        if (size.find('.') == std::string::npos) sizes.push_back(size); // not "2MB.rsvd"
    }
    ::closedir(d);
    for (const auto& size : sizes) {
        std::string prefix = "hugetlb." + size;
        HugetlbStats h;
        // Reservations include pages not faulted in yet; runc reports them
        // when the kernel has them (5.7+).
        h.usage = file_exists(dir, prefix + ".rsvd.current") ? single(dir, prefix + ".rsvd.current")
                                                             : single(dir, prefix + ".current");
        h.failcnt = keyed(dir, prefix + ".events")["max"];
        out[size] = h;
    }
}

} // namespace

Stats read_stats(int dir) {
    Stats s;
    read_cpu(dir, s.cpu);
    read_memory(dir, s);
    read_pids(dir, s.pids);
    read_io(dir, s.blkio);
    read_hugetlb(dir, s.hugetlb);
    return s;
}

} // namespace corral::cgroups::v2
